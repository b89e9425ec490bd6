/**
 * A small Language Server Protocol client for tests: spawns a server speaking LSP over stdio
 * (Content-Length framed JSON-RPC), answers the requests a server makes of its editor (configuration,
 * capability registration, progress) and collects the diagnostics it publishes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** 1 error, 2 warning, 3 information, 4 hint. */
  severity?: number;
  message: string;
  source?: string;
}

interface Message {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: any;
  result?: unknown;
  error?: { code: number; message: string };
}

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private version = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly diagnosticWaiters = new Map<string, (diagnostics: Diagnostic[]) => void>();
  private stderr = '';

  /** `configuration(section)` answers the server's workspace/configuration requests. */
  constructor(command: string, args: string[], private readonly configuration: (section: string | undefined) => unknown) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`language server exited with ${code}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  request<T = unknown>(method: string, params: unknown, timeoutMs = 5_000): Promise<T> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** Opens (or reopens) a document and resolves with the diagnostics the server publishes for it. */
  async diagnose(uri: string, text: string, timeoutMs = 5_000): Promise<Diagnostic[]> {
    const opened = this.nextDiagnostics(uri, timeoutMs);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: this.version++, text } });
    const diagnostics = await opened;
    // Closing publishes an empty list for the document: wait for it, so it cannot answer the next open.
    const closed = this.nextDiagnostics(uri, timeoutMs);
    this.notify('textDocument/didClose', { textDocument: { uri } });
    await closed;
    return diagnostics;
  }

  /** Opens a document, asks `method` (textDocument/completion, textDocument/hover) at `position`, closes it. */
  async ask<T = unknown>(method: string, uri: string, text: string, position: { line: number; character: number }): Promise<T> {
    const opened = this.nextDiagnostics(uri, 5_000);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: this.version++, text } });
    try {
      return await this.request<T>(method, { textDocument: { uri }, position });
    } finally {
      await opened;
      const closed = this.nextDiagnostics(uri, 5_000);
      this.notify('textDocument/didClose', { textDocument: { uri } });
      await closed;
    }
  }

  private nextDiagnostics(uri: string, timeoutMs: number): Promise<Diagnostic[]> {
    return new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.diagnosticWaiters.delete(uri);
        reject(new Error(`${uri}: no diagnostics within ${timeoutMs} ms`));
      }, timeoutMs);
      this.diagnosticWaiters.set(uri, (diagnostics) => {
        clearTimeout(timer);
        this.diagnosticWaiters.delete(uri);
        resolve(diagnostics);
      });
    });
  }

  async shutdown(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.request('shutdown', null, 2_000);
      this.notify('exit', null);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    } finally {
      if (this.child.exitCode === null) this.child.kill();
    }
  }

  private send(message: Message): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'))?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.handle(JSON.parse(body) as Message);
    }
  }

  private handle(message: Message): void {
    if (message.method === undefined) {
      const waiter = this.pending.get(Number(message.id));
      this.pending.delete(Number(message.id));
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    } else if (message.id !== undefined) {
      // A request of the server to its editor.
      const result = message.method === 'workspace/configuration'
        ? (message.params.items as { section?: string }[]).map((item) => this.configuration(item.section) ?? null)
        : null;
      this.send({ jsonrpc: '2.0', id: message.id, result });
    } else if (message.method === 'textDocument/publishDiagnostics') {
      this.diagnosticWaiters.get(message.params.uri)?.(message.params.diagnostics as Diagnostic[]);
    }
  }
}

/** Starts yaml-language-server (the repository's devDependency) with `yaml` settings, ready for documents. */
export async function startYamlLanguageServer(yaml: Record<string, unknown>, rootUri: string): Promise<LspClient> {
  const settings: Record<string, unknown> = { yaml, http: {}, '[yaml]': {}, editor: {} };
  const client = new LspClient(process.execPath, ['node_modules/yaml-language-server/bin/yaml-language-server', '--stdio'], (section) => (section ? settings[section] : settings));
  await client.request('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'writeback' }],
    capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } }, textDocument: { publishDiagnostics: {} } },
  }, 15_000);
  client.notify('initialized', {});
  client.notify('workspace/didChangeConfiguration', { settings });
  return client;
}
