import path from 'node:path';
import {
  app,
  BrowserWindow,
  ipcMain,
  session,
  shell,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../contract/wire.js';
import { Console } from '../core/console.js';
import { CSP, startWebServer } from '../web/web-server.js';
import { KeychainSecretStore } from './keychain.js';
import { isTrustedSender } from './sender-check.js';

const dataDirArg = process.argv.find((a) => a.startsWith('--tally-data-dir='));
const dataDir = dataDirArg ? dataDirArg.slice('--tally-data-dir='.length) : app.getPath('userData');
const rendererUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererDir = path.join(import.meta.dirname, '../renderer');

async function main(): Promise<void> {
  await app.whenReady();
  const core = await Console.open({
    dataDir,
    shell: 'electron',
    secrets: new KeychainSecretStore(dataDir),
    version: app.getVersion(),
    agentSocket: process.env['SSH_AUTH_SOCK'],
  });
  core.resumeConnections();

  // The window's page comes from the console's own loopback server (token-guarded, as in web mode), so the WHEP
  // and HLS proxy under /previews is same-origin for the renderer exactly as it is in a browser. The contract
  // still goes over IPC. In development the dev server serves the page and previews are not proxied.
  const web = await startWebServer({ console: core, rendererDir, host: '127.0.0.1', port: 0 });
  const pageUrl = rendererUrl ?? web.url;

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, allow) =>
    allow(permission === 'clipboard-sanitized-write'),
  );

  const windows = new Map<number, WebContents>();
  core.onEvent((name, payload, owner) => {
    for (const [id, wc] of windows) if (!owner || owner === `window:${id}`) wc.send(IPC_EVENT, name, payload);
  });

  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame?.url, pageUrl))
      return {
        ok: false,
        error: { code: 'refused', message: 'Calls are accepted only from the Tally window.' },
      };
    return core.invoke(name, input, { owner: `window:${event.sender.id}` });
  });

  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Tally',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const wcId = win.webContents.id;
  windows.set(wcId, win.webContents);
  win.on('closed', () => {
    windows.delete(wcId);
    core.release(`window:${wcId}`);
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  await win.loadURL(pageUrl);

  app.on('window-all-closed', () => {
    void web
      .close()
      .then(() => core.close())
      .finally(() => app.quit());
  });
}

void main();
