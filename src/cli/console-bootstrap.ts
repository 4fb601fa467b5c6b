/**
 * The console's host port for whatever context it shows: the context's inventory is read from
 * the contexts file when a bootstrap flow opens, and the SSH layer is loaded only then (the console
 * starts without it).
 */
import type { CliFlags } from './args.js';
import type { HostPort } from '../run/host-port.js';
import { loadInventory, newClusterSettings, saveNewContext, type LoadedInventory } from './bootstrap-context.js';
import type { HostAccess } from '../run/types.js';

export function consoleBootstrap(flags: CliFlags, env: NodeJS.ProcessEnv, currentContext: () => string): HostPort {
  const ports = new Map<string, { loaded: LoadedInventory; port: Promise<HostPort> }>();
  let active: HostPort | undefined;

  const load = (): LoadedInventory | undefined => {
    const name = currentContext();
    try {
      return loadInventory({ ...flags, context: name }, env);
    } catch {
      return undefined;
    }
  };
  const portFor = (loaded: LoadedInventory): Promise<HostPort> => {
    const key = loaded.context.name;
    const cached = ports.get(key);
    if (cached) return cached.port;
    const port = (async () => {
      const [{ consoleHostPort }, { SshGateway }, { contextsFileProblem, writeContextSettings }] = await Promise.all([import('../run/host-port.js'), import('../hosts/ssh-gateway.js'), import('./inventory-update.js')]);
      return consoleHostPort({
        inventory: loaded.inventory,
        gateway: new SshGateway(),
        context: loaded.context.name,
        contextsFile: { path: loaded.path, context: loaded.context.name },
        tls: { cacert: flags.cacert ?? loaded.context.cacert, cert: flags.cert ?? loaded.context.cert, key: flags.key ?? loaded.context.key },
        saveContext: async (hosts: string[], token: string) => {
          const settings = newClusterSettings(loaded, flags);
          await saveNewContext(loaded, settings, loaded.inventory.hosts.filter((h) => hosts.includes(h.name)), token);
          return `context "${loaded.context.name}" saved in ${loaded.path} (endpoints of ${hosts.join(', ')}, token ${token}) and made current`;
        },
        contextSettings: {
          problem: () => contextsFileProblem(loaded.path),
          update: (assignments, applied) => {
            const { backup } = writeContextSettings(loaded.path, loaded.context.name, assignments, applied);
            return `context "${loaded.context.name}" in ${loaded.path} now has ${assignments.map((a) => `${a.key.key}=${a.value}`).join(' ')} (the old file kept as ${backup})`;
          },
        },
      });
    })();
    ports.set(key, { loaded, port });
    return port;
  };

  return {
    hosts: () => load()?.inventory.hosts.map((h) => h.name),
    async prepare(request, use, onHost, askSecret) {
      const loaded = load();
      if (!loaded) return { planned: { ok: false, refusal: `context "${currentContext()}" has no hosts in the contexts file` }, replan: () => ({ ok: false, refusal: 'no hosts' }), unknownKeys: [] };
      active = await portFor(loaded);
      return active.prepare(request, use, onHost, askSecret);
    },
    async trust(hosts) {
      if (active) await active.trust(hosts);
    },
    access(): HostAccess {
      if (!active) throw new Error('no bootstrap prepared');
      return active.access();
    },
    async close() {
      for (const { port } of ports.values()) await (await port).close?.();
    },
  };
}
