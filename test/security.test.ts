/**
 * What a pull request, a definition or a vendor can make the runner do: send a credential to a host of
 * its choosing, leak part of an echoed credential, read a device forever, inject workflow commands, put
 * personal data into shared places, route GitHub calls around the proxy.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, scratchRepo } from './helpers/repo.ts';
import { CONTACTS_DATASET, contacts, CONTACT_COLUMNS, contactsJob, DD_SECRETS, useDotdigitalWorld } from './helpers/dotdigital-world.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, SECRETS, useWorld } from './helpers/world.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'writeback.js');
const TLS = join(import.meta.dirname, 'fixtures', 'tls');

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An HTTPS server on 127.0.0.1 (trusted by the child processes through NODE_EXTRA_CA_CERTS) that logs every request. */
function useSpyServer() {
  const spy = { url: '', received: [] as { method: string; url: string; authorization?: string }[] };
  const server = createHttpsServer({ key: readFileSync(join(TLS, 'localhost.key')), cert: readFileSync(join(TLS, 'localhost.crt')) }, (req, res) => {
    spy.received.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.includes('data-fields') ? '[]' : '{}');
  });
  beforeEach(async () => {
    spy.received.length = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    spy.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return spy;
}

describe('a pull request cannot send a credential to a host of its choosing', () => {
  const world = useDotdigitalWorld();
  const spy = useSpyServer();
  const hostile = (password: string) =>
    contactsJob(`      endpoint: ${spy.url}\n`, undefined, '').replace('password: { secret: DOTDIGITAL_API_PASSWORD }', `password: ${password}`);
  /** The environment of validate.yml on a pull request: the token of the workflow, the secrets bundle. */
  const pullRequestEnv = () => ({
    GITHUB_ACTIONS: 'true',
    GITHUB_TOKEN: 'ghs_workflowtoken_canary_0123456789',
    GITHUB_REPOSITORY: 'acme/jobs',
    GITHUB_REF_NAME: '5/merge',
    WRITEBACK_SECRETS: JSON.stringify(DD_SECRETS),
    DOMO_API_URL: world.domo.url,
    NODE_EXTRA_CA_CERTS: join(TLS, 'localhost.crt'),
    WRITEBACK_RETRY_BASE_MS: '10',
  });

  beforeEach(() => {
    world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'members', columns: CONTACT_COLUMNS, rows: contacts(3) });
  });

  it("validate refuses the runner's own variables as secrets and endpoints that are not Dotdigital's", async () => {
    world.setDefinition(hostile('{ secret: GITHUB_TOKEN }'));
    const { code, stdout } = await runCli(['validate'], { root: world.root, env: {} });
    expect(code).toBe(1);
    expect(stdout).toContain("spec.destination.dotdigital.password: secret GITHUB_TOKEN belongs to the runner (names starting with GITHUB_, ACTIONS_, RUNNER_, INPUT_ or WRITEBACK_ never resolve");
    expect(stdout).toContain(`spec.destination.dotdigital.endpoint: 127.0.0.1:${spy.url.split(':')[2]} is not one of Dotdigital's API hosts`);
  });

  for (const password of ['{ secret: GITHUB_TOKEN }', '{ secret: DOTDIGITAL_API_PASSWORD }']) {
    it(`plan, run as validate.yml runs it, sends nothing to that host (password: ${password})`, async () => {
      world.setDefinition(hostile(password));
      const { stdout, stderr } = await cli(['plan', '--root', world.root], pullRequestEnv());
      expect(spy.received).toEqual([]);
      expect(`${stdout}${stderr}`).not.toContain('ghs_workflowtoken_canary');
      expect(`${stdout}${stderr}`).not.toContain(DD_SECRETS.DOTDIGITAL_API_PASSWORD);
    });
  }

  it('nor does any command at run time, even with a definition that was never validated', async () => {
    const { Redactor } = await import('../src/http/redact.ts');
    const { SecretResolver } = await import('../src/secrets.ts');
    const { connectDotdigital } = await import('../src/destinations/dotdigital/client.ts');
    const redactor = new Redactor();
    const target = { username: { secret: 'DOTDIGITAL_API_USER' }, password: { secret: 'DOTDIGITAL_API_PASSWORD' }, endpoint: spy.url };
    await expect(connectDotdigital(target, 'loyalty', new SecretResolver(DD_SECRETS, redactor), DD_SECRETS, redactor)).rejects.toThrow(
      `spec.destination.dotdigital.endpoint https://127.0.0.1:${spy.url.split(':')[2]} is not one of Dotdigital's API hosts`,
    );
    const token = { ...target, password: { secret: 'GITHUB_TOKEN' } };
    expect(() => new SecretResolver({ GITHUB_TOKEN: 'ghs_x' }, redactor).resolve('loyalty', token.password)).toThrow('secret GITHUB_TOKEN belongs to the runner');
    expect(spy.received).toEqual([]);
  });

  it('a host the operator allows (WRITEBACK_ALLOWED_HOSTS) is reached: the spy would have seen a leak', async () => {
    world.setDefinition(hostile('{ secret: DOTDIGITAL_API_PASSWORD }'));
    await cli(['plan', '--root', world.root], { ...pullRequestEnv(), WRITEBACK_ALLOWED_HOSTS: '127.0.0.1' });
    expect(spy.received.length).toBeGreaterThan(0);
    expect(spy.received[0]!.authorization).toMatch(/^Basic /);
  });
});

describe('a vendor that echoes a credential', () => {
  const world = useWorld();

  it('never gets any 12-character piece of it into logs, reports or state, wherever it sits in a long body', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const secret = SECRETS.DOMO_CLIENT_SECRET;
    const outputs: string[] = [];
    for (const offset of [0, 150, 185, 195, 199, 280, 290, 295, 299, 390, 395, 1990, 1995, 1999, 5000]) {
      const message = `${'x'.repeat(offset)}${secret}${'y'.repeat(3000)}`;
      world.domo.inject('metadata', { kind: 'status', status: 500, message }, 3);
      const { stdout, stderr } = await runCli(['reconcile', '--force'], { root: world.root, env: world.env });
      outputs.push(stdout, stderr);
    }
    const reports = join(world.root, 'reports', 'sales');
    for (const file of readdirSync(reports)) outputs.push(readFileSync(join(reports, file), 'utf8'));
    outputs.push(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8'));
    const everything = outputs.join('\n');
    expect(everything).toContain('Domo GET /v1/datasets/ds-sales-1 answered 500');
    for (let i = 0; i + 12 <= secret.length; i++) expect(everything, `piece at ${i}`).not.toContain(secret.slice(i, i + 12));
  });
});

describe('definition files a pull request can shape', () => {
  it('a link to a device, a FIFO and a line break in a file name each get one clear error, without waiting on the FIFO or reading the device', async () => {
    const root = scratchRepo({ 'connectors/ok.yaml': salesJob().replace('name: sales', 'name: ok') });
    symlinkSync('/dev/zero', join(root, 'connectors', 'zero.yaml'));
    execFileSync('mkfifo', [join(root, 'connectors', 'pipe.yaml')]);
    writeFileSync(join(root, 'connectors', 'evil\n::warning title=pwned::gotcha.yaml'), 'apiVersion: writeback/v1\n');
    symlinkSync('/etc/hostname', join(root, 'connectors', 'outside.yaml'));
    const started = performance.now();
    const { code, stdout } = await cli(['validate', '--root', root], { GITHUB_ACTIONS: 'true' });
    // A read of the FIFO would wait forever and one of /dev/zero would not end: the bound tells a wait from
    // a slow start (the command alone takes about 0.4 s; 2-3 s on this project's machine while CI runs beside it).
    expect(performance.now() - started).toBeLessThan(8000);
    expect(code).toBe(1);
    const problems = stdout.split('\n').filter((l) => /^connectors\//.test(l) && !l.includes(': note: '));
    expect(problems).toEqual([
      'connectors/evil\\n::warning title=pwned::gotcha.yaml:1:1: the file name holds a control character (a line break, say): rename the file to <metadata.name>.yaml',
      'connectors/outside.yaml:1:1: is a link to /etc/hostname, outside the repository: definitions must be files inside it; replace the link with the file',
      'connectors/pipe.yaml:1:1: is a FIFO (named pipe), not a file: a definition is a YAML file; remove it from connectors/',
      'connectors/zero.yaml:1:1: is a device (through a link to /dev/zero), not a file: a definition is a YAML file; remove it from connectors/',
    ]);
    // No line of the output is a workflow command it did not issue: only its ::error and ::notice annotations.
    const commands = stdout.split(/\r\n|\r|\n/).filter((line) => /^\s*::/.test(line));
    expect(commands.filter((line) => !/^::(error|notice) file=connectors\//.test(line))).toEqual([]);
    expect(commands.some((line) => line.includes('pwned'))).toBe(true); // inside an annotation's escaped file name
  });

  it('a connectors/ that is a link out of the repository is not read', async () => {
    const elsewhere = scratchRepo({ 'connectors/sales.yaml': salesJob() });
    const root = scratchRepo();
    rmSync(join(root, 'connectors'), { recursive: true });
    symlinkSync(join(elsewhere, 'connectors'), join(root, 'connectors'));
    const { code, stdout } = await runCli(['validate'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('connectors/sales.yaml:1:1: lies at');
    expect(stdout).toContain('outside the repository: definitions must be files inside it; connectors/ must be a folder of the repository, not a link out of it');
  });

  it('a link that stays inside the repository is followed', async () => {
    const root = scratchRepo({ 'shared/sales.yaml': salesJob() });
    mkdirSync(join(root, 'connectors'), { recursive: true });
    symlinkSync(join(root, 'shared', 'sales.yaml'), join(root, 'connectors', 'sales.yaml'));
    expect(await runCli(['validate'], { root })).toMatchObject({ code: 0, stdout: expect.stringContaining('1 definition valid') });
  });
});

describe('text from data and vendors in the Actions log', () => {
  const world = useWorld();

  it('cannot start a workflow command: a DataSet column named to inject one is printed inert', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: [{ name: 'x\n::warning title=pwned::gotcha', type: 'STRING' }, { name: 'y\r##[set-output name=a]b', type: 'STRING' }], rows: [['1', '2']] });
    const { stdout, stderr } = await cli(['reconcile', '--force', '--dry-run', '--root', world.root], { ...world.env, GITHUB_ACTIONS: 'true', WRITEBACK_SECRETS: JSON.stringify(SECRETS) });
    expect(stdout, stderr).toContain('the DataSet has no column');
    for (const line of stdout.split(/\r\n|\r|\n/)) {
      if (/^\s*::/.test(line)) expect(line).toMatch(/^::add-mask::/);
      expect(line).not.toContain('##[');
    }
  });
});

describe('personal data in shared places', () => {
  const world = useWorld(salesJob('  rejects:\n    maxRatio: 0.5\n').replace('customer: customer_id', 'email: customer_id'));

  it('is masked in reports, plans and logs by default, keeping enough to recognise the row', async () => {
    const rows = lines(3).map((r, i) => [r[0]!, r[1]!, `jane.doe${i}@example.com`, r[3]!, r[4]!, r[5]!, r[6]!]);
    rows[1]![2] = 'jane.doe1@example,com';
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('j***@example.com');
    expect(plan.stdout).toContain('"j***@example,com" is not an email address');
    const reconcile = await runCli(['reconcile', '--force'], { root: world.root, env: world.env });
    const reports = join(world.root, 'reports', 'sales');
    const shared = [plan.stdout, reconcile.stdout, ...readdirSync(reports).map((f) => readFileSync(join(reports, f), 'utf8')), readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')].join('\n');
    expect(shared).not.toMatch(/jane\.doe/);
    expect(world.emarsys.accepted.map((l) => l.record.email)).toEqual(['jane.doe0@example.com', 'jane.doe2@example.com']); // sent as they are
  });

  it('shows values when a job opts out (personalData.mask: false)', async () => {
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  rejects:\n    maxRatio: 0.5\n  personalData:\n    mask: false\n').replace('customer: customer_id', 'email: customer_id'));
    const rows = lines(2).map((r) => [r[0]!, r[1]!, 'jane@example,com', r[3]!, r[4]!, r[5]!, r[6]!]);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    expect((await world.run()).rejects?.[0]?.reason).toBe('"jane@example,com" is not an email address');
  });

  it('masks the fields a definition marks personal, and refuses to mark fields it does not map', async () => {
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  rejects:\n    maxRatio: 0.5\n  personalData:\n    fields: [s_channel, s_nope]\n').replace('customer: customer_id', 'email: customer_id'));
    const { stdout } = await runCli(['validate'], { root: world.root });
    expect(stdout).toContain('spec.personalData.fields[1]: "s_nope" is not a mapped field, so nothing would be masked');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  personalData:\n    fields: [s_channel]\n').replace('customer: customer_id', 'email: customer_id'));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(2).map((r) => [r[0]!, r[1]!, 'jane@example.com', r[3]!, r[4]!, r[5]!, 'Jane Doe']) });
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain(',j***@example.com,1,J***');
  });

  it("a plan masks whatever the definition says: its author could opt out to read customers' data in the comment", async () => {
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  personalData:\n    mask: false\n').replace('customer: customer_id', 'email: customer_id'));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(2).map((r) => [r[0]!, r[1]!, 'jane@example.com', r[3]!, r[4]!, r[5]!, 'mail jane@example.com']) });
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).not.toContain('jane@');
    expect(plan.stdout).toContain('mail j***@example.com');
  });
});

describe('GitHub API calls', () => {
  let proxy: ReturnType<typeof createHttpServer>;
  const seen: string[] = [];
  beforeEach(async () => {
    seen.length = 0;
    // A proxy, as on self-hosted runners, that answers as GitHub would.
    // It tunnels (CONNECT) and answers what comes through the tunnel itself.
    proxy = createHttpServer((req: IncomingMessage, res) => {
      seen.push(`${req.method} ${req.headers.host}${req.url}`);
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(req.method === 'POST' ? '{"id":1}' : '[]');
    });
    proxy.on('connect', (req, socket) => {
      seen.push(`CONNECT ${req.url}`);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      proxy.emit('connection', socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('go through HTTP_PROXY / HTTPS_PROXY like the vendor calls', async () => {
    const root = scratchRepo({ 'connectors/sales.yaml': salesJob() });
    writeFileSync(join(root, 'event.json'), JSON.stringify({ pull_request: { number: 8 } }));
    const { stderr } = await runCli(['plan', '--comment'], {
      root,
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_TOKEN: 'ghs_proxy',
        GITHUB_REPOSITORY: 'acme/jobs',
        GITHUB_REF_NAME: '8/merge',
        GITHUB_EVENT_PATH: join(root, 'event.json'),
        GITHUB_API_URL: 'http://github.example.test/api/v3',
        HTTP_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      },
    });
    expect(stderr).toContain('created the plan comment on pull request #8');
    expect(seen).toContain('CONNECT github.example.test:80');
    expect(seen.filter((r) => !r.startsWith('CONNECT'))).toEqual(['GET github.example.test/api/v3/repos/acme/jobs/issues/8/comments?per_page=100', 'POST github.example.test/api/v3/repos/acme/jobs/issues/8/comments']);
  });
});

describe('the emulators writeback emulate serves', () => {
  it('answer only requests addressed to 127.0.0.1 or localhost (a DNS-rebinding page gets 421, no data)', async () => {
    const { DomoEmulator } = await import('../src/emulators/domo.ts');
    const domo = new DomoEmulator();
    const url = new URL(await domo.start());
    try {
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: url.port, path: '/oauth/token?grant_type=client_credentials', headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject).end();
        });
      expect(await status('attacker.example')).toBe(421);
      expect(await status(`attacker.example:${url.port}`)).toBe(421);
      expect(await status(`127.0.0.1:${url.port}`)).not.toBe(421);
      expect(await status(`localhost:${url.port}`)).not.toBe(421);
    } finally {
      await domo.stop();
    }
  });
});
