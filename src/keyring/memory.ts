// In-memory backend for unit tests of the logic above the keyring. Not selectable from
// the CLI: values would vanish when the process exits.
import type { SecretBackend } from './backend.js';

export class MemoryBackend implements SecretBackend {
  readonly id = 'memory' as const;
  readonly label = 'in-memory store (tests only)';
  private readonly values = new Map<string, string>();
  private readonly services = new Map<string, MemoryBackend>();

  forService(service: string): MemoryBackend {
    let b = this.services.get(service);
    if (!b) this.services.set(service, (b = new MemoryBackend()));
    return b;
  }

  async get(name: string): Promise<string | undefined> {
    return this.values.get(name);
  }
  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async delete(name: string): Promise<boolean> {
    return this.values.delete(name);
  }
  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    return new Map(names.flatMap((n) => (this.values.has(n) ? [[n, this.values.get(n) as string] as const] : [])));
  }
  async list(): Promise<string[]> {
    return [...this.values.keys()].sort();
  }
}
