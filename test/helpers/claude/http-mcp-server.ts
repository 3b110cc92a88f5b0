// e2e harness: a minimal streamable-HTTP MCP server on loopback (initialize, tools/list with one
// tool `ping_http`) that records the sha256 of every Authorization header it receives.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpMcpServer {
  url: string;
  /** sha256 hex of each request's Authorization header ('' when absent). */
  authSeen: string[];
  close: () => Promise<void>;
}

export async function httpMcpServer(): Promise<HttpMcpServer> {
  const authSeen: string[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      authSeen.push(
        createHash('sha256')
          .update(String(req.headers.authorization ?? ''))
          .digest('hex'),
      );
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const msg = JSON.parse(body) as { id?: number | string; method?: string; params?: { protocolVersion?: string } };
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'ki-http', version: '1' } }
          : msg.method === 'tools/list'
            ? { tools: [{ name: 'ping_http', description: 'x', inputSchema: { type: 'object', properties: {} } }] }
            : {};
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'ki-session' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`, authSeen, close: () => new Promise((r) => srv.close(() => r())) };
}
