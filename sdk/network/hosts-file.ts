/** Pure edits of a container's hosts file (peers' names). */

/** Appends `<ip> <name>` unless that exact line is there. */
export function addHostsLine(text: string, ip: string, name: string): string {
  const line = `${ip} ${name}`;
  if (text.split('\n').some((l) => l.trim() === line)) return text;
  return (text === '' || text.endsWith('\n') ? text : text + '\n') + line + '\n';
}

export function removeHostsLine(text: string, ip: string, name: string): string {
  const line = `${ip} ${name}`;
  return text
    .split('\n')
    .filter((l) => l.trim() !== line)
    .join('\n');
}
