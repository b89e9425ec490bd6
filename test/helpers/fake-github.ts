/**
 * An in-memory GitHub (Git Data API refs, commits, trees, blobs; issues and comments) behind nock, so
 * tests can run a reconcile the way Actions does and then inspect the repository. Calls it does not know
 * are recorded in `unexpected` (tests assert it stays empty) and answered 599.
 */
import { createHash } from 'node:crypto';
import nock from 'nock';

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
    const base = `/repos/${repo}`;
    const scope = nock(api).persist();
    const answer = (handle: () => [number, unknown]) => {
      const failure = this.failures.shift();
      if (failure) return [failure.status, { message: failure.message }, failure.headers ?? {}] as [number, unknown, Record<string, string>];
      return handle();
    };
    scope.get((p) => p.startsWith(base)).reply((uri) => answer(() => this.get(decodeURIComponent(uri.slice(base.length)))));
    scope.post((p) => p.startsWith(base)).reply((uri, body) => answer(() => this.post(decodeURIComponent(uri.slice(base.length)), body as Record<string, unknown>)));
    scope.patch((p) => p.startsWith(base)).reply((uri, body) => answer(() => this.patch(decodeURIComponent(uri.slice(base.length)), body as Record<string, unknown>)));
    scope.delete((p) => p.startsWith(base)).reply((uri) => answer(() => this.delete(decodeURIComponent(uri.slice(base.length)))));
  }

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
    let m = /^\/git\/ref\/heads\/(.+)$/.exec(path);
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
    if (path === '/git/blobs') {
      const content = Buffer.from(String(body.content), 'base64');
      const s = sha(`blob:${content.toString('base64')}`);
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
    let m = /^\/git\/refs\/heads\/(.+)$/.exec(path);
    if (m) {
      const name = m[1]!;
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
    const m = /^\/git\/refs\/heads\/(.+)$/.exec(path);
    if (m) return this.refs.delete(m[1]!) ? [204, ''] : [422, { message: 'Reference does not exist' }];
    return this.miss(`DELETE ${path}`);
  }
}
