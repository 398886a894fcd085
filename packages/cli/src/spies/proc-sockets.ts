import { readFile, readdir, readlink } from 'node:fs/promises';

/** TCP states as /proc/net/tcp numbers them. */
export const TCP_ESTABLISHED = 0x01;
export const TCP_LISTEN = 0x0a;

/** Where a TCP socket listens or can be reached. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface TcpSocket extends Endpoint {
  readonly state: number;
  readonly remotePort: number;
}

export const isListening = (s: TcpSocket): boolean => s.state === TCP_LISTEN;
export const endpointKey = (e: Endpoint): string => `${e.host}|${e.port}`;

/** The TCP sockets process `pid` holds, or null where /proc does not tell (not Linux, no access). */
export async function readSockets(pid: number): Promise<TcpSocket[] | null> {
  let inodes: Set<string>;
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    inodes = new Set(links.filter((l) => l.startsWith('socket:[')).map((l) => l.slice(8, -1)));
  } catch {
    return null;
  }
  const out: TcpSocket[] = [];
  for (const file of ['tcp', 'tcp6']) {
    // The target's own network namespace: a container's sockets are not in ours.
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const [localHex, localPortHex] = fields[1]!.split(':');
      out.push({
        host: addressOf(localHex!),
        port: parseInt(localPortHex!, 16),
        remotePort: parseInt(fields[2]!.split(':')[1]!, 16),
        state: parseInt(fields[3]!, 16),
      });
    }
  }
  return out;
}

/** /proc/net/tcp{,6} write addresses as 32-bit words in host (little-endian) byte order. */
function addressOf(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(word + i, word + i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Where to reach a listening socket from this host: its wildcard addresses mean loopback. */
export function connectableEndpoint(s: TcpSocket): Endpoint {
  if (s.host === '0.0.0.0') return { host: '127.0.0.1', port: s.port };
  if (/^[0:]+$/.test(s.host)) return { host: '::1', port: s.port };
  return { host: s.host, port: s.port };
}
