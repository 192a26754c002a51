import { createRequire } from 'node:module';
import type { Document as YamlDocument } from 'yaml';

// Loaded on first use: the CLI bundle, which never renders YAML, neither carries nor loads it.
let DocumentClass: typeof YamlDocument | undefined;
const load = () =>
  (DocumentClass ??= (createRequire(import.meta.url)('yaml') as { Document: typeof YamlDocument }).Document);

/** Objects as one multi-document YAML stream, each with its comment above it. */
export function yamlDocuments(docs: Array<{ object: object; comment?: string }>): string {
  const Document = load();
  return docs
    .map(({ object, comment }) => {
      const doc = new Document(object, { aliasDuplicateObjects: false });
      if (comment) doc.commentBefore = ` ${comment}`;
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
