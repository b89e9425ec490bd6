/**
 * The hosts a Dotdigital job may send its API user's credentials to. A definition's `endpoint` comes from
 * whoever can open a pull request, so it must name one of Dotdigital's API hosts (the patterns Dotdigital's
 * own Magento extension accepts, Model/Apiconnector/Test.php; docs/vendors/dotdigital.md), or a host the
 * operator allows in WRITEBACK_ALLOWED_HOSTS, an environment variable of the workflow that a definition
 * cannot change. Hosts of the operator's own base URLs (DOTDIGITAL_API_URL, DOTDIGITAL_DISCOVERY_URL) are
 * the operator's choice too.
 */
const VENDOR_HOSTS = [/^(r[0-9]+-)?api(.*)\.(dotmailer|dotdigital)\.com$/i, /^(r[0-9]+\.)?apiconnector\.com$/i];

/** WRITEBACK_ALLOWED_HOSTS: host names separated by commas or spaces; `*.example.com` allows its subdomains. */
function operatorHosts(env: NodeJS.ProcessEnv): string[] {
  const hosts = (env.WRITEBACK_ALLOWED_HOSTS ?? '').split(/[\s,]+/).filter(Boolean).map((h) => h.toLowerCase());
  for (const name of ['DOTDIGITAL_API_URL', 'DOTDIGITAL_DISCOVERY_URL']) {
    try {
      if (env[name]) hosts.push(new URL(env[name]!).hostname.toLowerCase());
    } catch {
      // not a URL: the client reports it when it uses it
    }
  }
  return hosts;
}

/** Whether the operator allows `url`'s host (then any scheme it chose goes: a test emulator, a proxy). */
export function isOperatorHost(url: URL, env: NodeJS.ProcessEnv): boolean {
  const host = url.hostname.toLowerCase();
  return operatorHosts(env).some((allowed) => (allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed));
}

/** Whether credentials may go to `url`: a Dotdigital API host over https, or a host the operator allows. */
export function isAllowedDotdigitalHost(url: URL, env: NodeJS.ProcessEnv): boolean {
  if (url.protocol === 'https:' && VENDOR_HOSTS.some((pattern) => pattern.test(url.hostname))) return true;
  return isOperatorHost(url, env);
}

export const HOSTS_RULE = "Dotdigital's API hosts (r1-api.dotdigital.com and the like) or a host the operator lists in WRITEBACK_ALLOWED_HOSTS";
