/** Keeps secret values out of every text that leaves the process (logs, reports, errors, comments). */
export class Redactor {
  private readonly values = new Set<string>();

  /** Registers a secret; very short values are skipped, they would mangle ordinary text. */
  add(value: string | undefined): void {
    if (value && value.length >= 4) {
      this.values.add(value);
      // Also catch it where it travels encoded (Basic auth, URLs).
      this.values.add(encodeURIComponent(value));
      this.values.add(Buffer.from(value).toString('base64'));
    }
  }

  addBasicAuth(user: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${user}:${password}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join('***');
    return out;
  }
}
