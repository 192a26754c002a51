import { Document } from 'yaml';

/** Objects as one multi-document YAML stream, each with its comment above it. */
export function yamlDocuments(docs: Array<{ object: object; comment?: string }>): string {
  return docs
    .map(({ object, comment }) => {
      const doc = new Document(object, { aliasDuplicateObjects: false });
      if (comment) doc.commentBefore = ` ${comment}`;
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
