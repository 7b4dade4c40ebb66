/**
 * HLS on 8888 is not emulated yet. The port still answers, with a clear 404, so a console sees "no HLS here"
 * rather than a refused connection it might mistake for a dead media server.
 */
import http from 'node:http';
import { boundPort, listen, sendError } from './http-util.js';

export class HlsPlaceholder {
  private readonly server = http.createServer((_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    sendError(res, 404, 'HLS is not available on this emulated device (not implemented yet)');
  });

  listen(port: number, host: string): Promise<void> {
    return listen(this.server, port, host);
  }

  get port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
