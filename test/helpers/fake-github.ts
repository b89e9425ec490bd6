/**
 * An in-memory GitHub (Git Data API refs, commits, trees, blobs; branch tarballs; GraphQL updateRefs;
 * protected branches; issues and comments) behind nock, so tests can run a reconcile the way Actions does
 * and then inspect the repository. Calls it does not know are recorded in `unexpected` (tests assert it
 * stays empty) and answered 599.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { gitBlobSha } from '../../src/github/git-files.ts';

interface Commit {
  tree: string;
  parents: string[];
  message: string;
}
interface Issue {
  number: number;
  title: string;
  state: 'open' | 'closed';
  labels: string[];
  body: string;
  comments: string[];
}

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

export class FakeGitHub {
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, Commit>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly blobs = new Map<string, Buffer>();
  readonly issues: Issue[] = [];
  /** Comments on pull requests, by number (alert issues keep theirs in `issues`). */
  readonly pullComments = new Map<number, string[]>();
  /** Who wrote each pull-request comment (the workflow's token writes as github-actions[bot]). */
  readonly commentAuthors = new Map<string, string>();
  readonly unexpected: string[] = [];
  /** Fails the next ref updates of the run's branch as if it had moved (422). */
  moveBranchTimes = 0;
  /** Branches only pull requests may change: every ref update, creation or deletion of them is refused. */
  readonly protectedBranches = new Set<string>();
  /** Called before each ref update or creation is applied (a test moves a branch under the runner here). */
  beforeRefUpdate?: (branch: string) => void;
  /** The next tarballs come back as an empty 200 body: what Octokit makes of a download reset midway. */
  brokenTarballs = 0;
  /** Requests served, by method and path (for counting what a run costs). */
  readonly served: string[] = [];
  /** Answers for the next requests, whatever they are (a 502, a secondary rate limit...). */
  readonly failures: { status: number; message: string; headers?: Record<string, string> }[] = [];

  constructor(
    readonly api = 'https://api.github.com',
    readonly repo = 'acme/writeback-jobs',
  ) {
    const empty = sha('tree:');
    this.trees.set(empty, new Map());
    const root = sha('root');
    this.commits.set(root, { tree: empty, parents: [], message: 'init' });
    this.refs.set('main', root);
    const scope = nock(api).persist();
    const nocked = (method: string) => (uri: string, body: unknown) => this.route(method, uri, body);
    scope.get((p) => p.startsWith(`/repos/${repo}`)).reply((uri) => nocked('GET')(uri, undefined));
    scope.post((p) => p.startsWith(`/repos/${repo}`) || p === '/graphql').reply(nocked('POST'));
    scope.patch((p) => p.startsWith(`/repos/${repo}`)).reply(nocked('PATCH'));
    scope.delete((p) => p.startsWith(`/repos/${repo}`)).reply((uri) => nocked('DELETE')(uri, undefined));
    // GitHub answers a tarball request with a redirect to codeload, which serves the archive.
    nock('https://codeload.github.com')
      .persist()
      .get((p) => p.startsWith(`/${repo}/legacy.tar.gz/`))
      .reply((uri) => this.route('GET', `/_codeload${uri}`, undefined));
  }

  private codeload = 'https://codeload.github.com';
  private server?: Server;

  /** One request, whatever carries it: nock in this process, or `listen()` for a runner in another one. */
  private route(method: string, uri: string, body: unknown): [number, unknown, Record<string, string>?] {
    const failure = this.failures.shift();
    if (failure) return [failure.status, { message: failure.message }, failure.headers ?? {}];
    if (uri.startsWith('/_codeload/')) {
      const ref = decodeURIComponent(uri.slice(`/_codeload/${this.repo}/legacy.tar.gz/`.length));
      const commit = this.commits.has(ref) ? ref : this.refs.get(ref);
      if (!commit) return [404, 'Not Found'];
      if (this.brokenTarballs > 0 && this.brokenTarballs--) return [200, Buffer.alloc(0), { 'content-type': 'application/x-gzip' }];
      return [200, this.tarball(commit), { 'content-type': 'application/x-gzip' }];
    }
    if (method === 'POST' && uri === '/graphql') return this.graphql(body as { query: string; variables: Record<string, unknown> });
    const path = decodeURIComponent(uri.slice(`/repos/${this.repo}`.length));
    const fields = body as Record<string, unknown>;
    if (method === 'GET') return this.get(path);
    if (method === 'POST') return this.post(path, fields);
    if (method === 'PATCH') return this.patch(path, fields);
    if (method === 'DELETE') return this.delete(path);
    return this.miss(`${method} ${path}`);
  }

  /** Serves this GitHub over HTTP on 127.0.0.1 (GITHUB_API_URL for a runner process a test kills); returns its URL. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [status, payload, headers = {}] = this.route(req.method ?? 'GET', req.url ?? '/', text ? JSON.parse(text) : undefined);
        const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
        res.writeHead(status, { 'content-type': Buffer.isBuffer(payload) ? 'application/x-gzip' : 'application/json; charset=utf-8', ...headers });
        res.end(bytes);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.codeload = `${url}/_codeload`;
    return url;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  /** The commit's files as GitHub's tarball of it: a gzipped tar under one top folder, pax headers for long paths. */
  private tarball(commit: string): Buffer {
    const blocks: Buffer[] = [];
    const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
    const header = (name: string, size: number, type: string) => {
      const h = Buffer.alloc(512);
      h.write(name.slice(0, 99), 0);
      h.write('0000644\0', 100);
      h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
      h.write(type, 156);
      h.write('ustar\0', 257);
      h.write('00', 263);
      return h;
    };
    const top = `${this.repo.replace('/', '-')}-${commit.slice(0, 7)}`;
    for (const [path, blob] of this.trees.get(this.commits.get(commit)!.tree)!) {
      const name = `${top}/${path}`;
      const content = this.blobs.get(blob)!;
      if (name.length > 99) {
        let record = ` path=${name}\n`;
        let length = record.length;
        while (`${length}${record}`.length !== length) length = `${length}${record}`.length;
        const pax = Buffer.from(`${length}${record}`);
        blocks.push(header('pax_global_header', pax.length, 'x'), pad(pax));
      }
      blocks.push(header(name, content.length, '0'), pad(content));
    }
    blocks.push(Buffer.alloc(1024));
    return gzipSync(Buffer.concat(blocks));
  }

  /**
   * Someone else's commit on `branch` (created when absent): `files` over its head's files, or with
   * `alone` on a commit of its own with nothing else and no parent. Returns the commit's sha.
   */
  push(branch: string, files: Record<string, string>, message: string, alone = false): string {
    const head = this.refs.get(branch);
    const tree = new Map(head && !alone ? this.trees.get(this.commits.get(head)!.tree) : []);
    for (const [path, content] of Object.entries(files)) {
      const blob = gitBlobSha(Buffer.from(content));
      this.blobs.set(blob, Buffer.from(content));
      tree.set(path, blob);
    }
    const treeSha = sha(`tree:${[...tree].sort().join(';')}`);
    this.trees.set(treeSha, tree);
    const commit = sha(`${message}${Math.random()}`);
    this.commits.set(commit, { tree: treeSha, parents: head && !alone ? [head] : [], message });
    this.refs.set(branch, commit);
    return commit;
  }

  /** Every commit of a branch, oldest first (a state branch kept at one commit has one). */
  history(branch: string): Commit[] {
    const out: Commit[] = [];
    for (let at = this.refs.get(branch); at; at = this.commits.get(at)!.parents[0]) out.push(this.commits.get(at)!);
    return out.reverse();
  }

  private refused(name: string): [number, unknown] | undefined {
    // Assumption: the REST answer for a protected branch, worded as GitHub's push refusal (GH006).
    return this.protectedBranches.has(name) ? [422, { message: `Protected branch update failed for refs/heads/${name}.` }] : undefined;
  }

  /** GraphQL `updateRefs` (docs.github.com, GraphQL reference, Git mutations): all or nothing, each update only if the ref is at `beforeOid`. */
  private graphql(body: { query: string; variables: Record<string, unknown> }): [number, unknown] {
    if (!/updateRefs\(/.test(body.query)) return this.miss(`GraphQL ${body.query}`);
    const input = body.variables.input as { repositoryId: string; refUpdates: { name: string; beforeOid?: string; afterOid: string; force?: boolean }[] };
    if (input.repositoryId !== this.nodeId) return [200, { data: null, errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${input.repositoryId}'` }] }];
    for (const update of input.refUpdates) {
      const name = update.name.replace(/^refs\/heads\//, '');
      if (this.protectedBranches.has(name)) return [200, { data: null, errors: [{ message: `Protected branch update failed for ${update.name}.` }] }];
      // Assumption: GitHub's words for a ref that moved; the documented behaviour is that nothing is updated.
      if (update.beforeOid && this.refs.get(name) !== update.beforeOid) return [200, { data: null, errors: [{ message: `Reference ${update.name} does not point at ${update.beforeOid}` }] }];
      if (!update.force && !this.commits.get(update.afterOid)?.parents.includes(this.refs.get(name)!)) return [200, { data: null, errors: [{ message: 'Update is not a fast forward' }] }];
    }
    for (const update of input.refUpdates) this.refs.set(update.name.replace(/^refs\/heads\//, ''), update.afterOid);
    return [200, { data: { updateRefs: { clientMutationId: null } } }];
  }

  readonly nodeId = 'R_kgDOfake0001';

  /** Files of a branch's head commit. */
  files(branch: string): Map<string, string> {
    const head = this.refs.get(branch);
    if (!head) return new Map();
    return new Map([...this.trees.get(this.commits.get(head)!.tree)!].map(([path, blob]) => [path, this.blobs.get(blob)!.toString('utf8')]));
  }

  commitsOn(branch: string): Commit[] {
    const out: Commit[] = [];
    for (let at = this.refs.get(branch); at; at = this.commits.get(at)!.parents[0]) out.push(this.commits.get(at)!);
    return out.reverse().slice(1);
  }

  private miss(what: string): [number, unknown] {
    this.unexpected.push(what);
    return [599, { message: `fake GitHub does not know ${what}` }];
  }

  private get(path: string): [number, unknown] {
    this.served.push(`GET ${path}`);
    if (path === '') return [200, { name: this.repo.split('/')[1], full_name: this.repo, node_id: this.nodeId, default_branch: 'main' }];
    let m = /^\/tarball\/(.+)$/.exec(path);
    if (m) {
      if (!this.commits.has(m[1]!) && !this.refs.has(m[1]!)) return [404, { message: 'Not Found' }];
      return [302, '', { location: `${this.codeload}/${this.repo}/legacy.tar.gz/${encodeURIComponent(m[1]!)}` }] as unknown as [number, unknown];
    }
    m = /^\/git\/ref\/heads\/(.+)$/.exec(path);
    if (m) return this.refs.has(m[1]!) ? [200, { ref: `refs/heads/${m[1]}`, object: { sha: this.refs.get(m[1]!), type: 'commit' } }] : [404, { message: 'Not Found' }];
    m = /^\/git\/commits\/(\w+)$/.exec(path);
    if (m) {
      const c = this.commits.get(m[1]!);
      return c ? [200, { sha: m[1], tree: { sha: c.tree }, parents: c.parents.map((p) => ({ sha: p })), message: c.message }] : [404, { message: 'Not Found' }];
    }
    m = /^\/git\/trees\/(\w+)/.exec(path);
    if (m) return [200, { sha: m[1], tree: [...this.trees.get(m[1]!)!].map(([p, s]) => ({ path: p, type: 'blob', mode: '100644', sha: s })), truncated: false }];
    m = /^\/git\/blobs\/(\w+)$/.exec(path);
    if (m) return [200, { sha: m[1], content: this.blobs.get(m[1]!)!.toString('base64'), encoding: 'base64' }];
    const comments = /^\/issues\/(\d+)\/comments/.exec(path);
    if (comments) {
      const number = Number(comments[1]);
      return [200, (this.pullComments.get(number) ?? []).map((body, i) => ({ id: number * 1000 + i, body, user: { login: this.commentAuthors.get(`${number}/${i}`) ?? 'github-actions[bot]', type: 'Bot' } }))];
    }
    if (path.startsWith('/issues?')) {
      const label = new URLSearchParams(path.split('?')[1]).get('labels');
      return [200, this.issues.filter((i) => i.state === 'open' && (!label || i.labels.includes(label))).map((i) => ({ number: i.number, title: i.title, state: i.state }))];
    }
    return this.miss(`GET ${path}`);
  }

  private post(path: string, body: Record<string, unknown>): [number, unknown] {
    this.served.push(`POST ${path}`);
    if (path === '/git/blobs') {
      const content = Buffer.from(String(body.content), 'base64');
      const s = gitBlobSha(content);
      this.blobs.set(s, content);
      return [201, { sha: s }];
    }
    if (path === '/git/trees') {
      const files = new Map(body.base_tree ? this.trees.get(String(body.base_tree)) : []);
      for (const entry of body.tree as { path: string; sha: string | null }[]) {
        if (entry.sha !== null) {
          files.set(entry.path, entry.sha);
          continue;
        }
        for (const p of [...files.keys()]) if (p === entry.path || p.startsWith(`${entry.path}/`)) files.delete(p);
      }
      const s = sha(`tree:${[...files].sort().join(';')}`);
      this.trees.set(s, files);
      return [201, { sha: s }];
    }
    if (path === '/git/commits') {
      const commit = { tree: String(body.tree), parents: body.parents as string[], message: String(body.message) };
      const s = sha(JSON.stringify(commit) + Math.random());
      this.commits.set(s, commit);
      return [201, { sha: s }];
    }
    if (path === '/git/refs') {
      const name = String(body.ref).replace(/^refs\/heads\//, '');
      this.beforeRefUpdate?.(name);
      const refused = this.refused(name);
      if (refused) return refused;
      if (this.refs.has(name)) return [422, { message: 'Reference already exists' }];
      this.refs.set(name, String(body.sha));
      return [201, { ref: body.ref, object: { sha: body.sha } }];
    }
    if (path === '/issues') {
      const issue: Issue = { number: this.issues.length + 1, title: String(body.title), state: 'open', labels: body.labels as string[], body: String(body.body), comments: [] };
      this.issues.push(issue);
      return [201, { number: issue.number }];
    }
    const m = /^\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const issue = this.issues[Number(m[1]) - 1];
      if (issue) issue.comments.push(String(body.body));
      else this.pullComments.set(Number(m[1]), [...(this.pullComments.get(Number(m[1])) ?? []), String(body.body)]);
      return [201, { id: 1 }];
    }
    return this.miss(`POST ${path}`);
  }

  private patch(path: string, body: Record<string, unknown>): [number, unknown] {
    this.served.push(`PATCH ${path}`);
    let m = /^\/git\/refs\/heads\/(.+)$/.exec(path);
    if (m) {
      const name = m[1]!;
      this.beforeRefUpdate?.(name);
      const refused = this.refused(name);
      if (refused) return refused;
      const current = this.refs.get(name);
      if (!current) return [422, { message: 'Reference does not exist' }];
      if (!body.force) {
        if (name === 'main' && this.moveBranchTimes > 0) {
          this.moveBranchTimes--;
          const moved = sha(`moved${Math.random()}`);
          this.commits.set(moved, { tree: this.commits.get(current)!.tree, parents: [current], message: 'someone else pushed' });
          this.refs.set(name, moved);
          return [422, { message: 'Update is not a fast forward' }];
        }
        if (!this.commits.get(String(body.sha))?.parents.includes(current)) return [422, { message: 'Update is not a fast forward' }];
      }
      this.refs.set(name, String(body.sha));
      return [200, { ref: `refs/heads/${name}`, object: { sha: body.sha } }];
    }
    m = /^\/issues\/comments\/(\d+)$/.exec(path);
    if (m) {
      const id = Number(m[1]);
      const list = this.pullComments.get(Math.floor(id / 1000))!;
      list[id % 1000] = String(body.body);
      return [200, {}];
    }
    m = /^\/issues\/(\d+)$/.exec(path);
    if (m) {
      const issue = this.issues[Number(m[1]) - 1]!;
      if (body.title) issue.title = String(body.title);
      if (body.state) issue.state = body.state as Issue['state'];
      return [200, {}];
    }
    return this.miss(`PATCH ${path}`);
  }

  private delete(path: string): [number, unknown] {
    this.served.push(`DELETE ${path}`);
    const m = /^\/git\/refs\/heads\/(.+)$/.exec(path);
    if (m && this.refused(m[1]!)) return this.refused(m[1]!)!;
    if (m) return this.refs.delete(m[1]!) ? [204, ''] : [422, { message: 'Reference does not exist' }];
    return this.miss(`DELETE ${path}`);
  }
}
