/**
 * What uninstalling a node removes from the kernel (k3s's killall script does the same for its
 * parts): the service proxy's and NetworkPolicy's chains, the masquerade, the VXLAN device and
 * our routes, the pod bridge. Each part is tried even when another failed; the errors are
 * reported together. Safe to run when none of it exists.
 */
import { DEFAULT_BRIDGE_NAME } from './cni.ts';
import { NetworkError } from './errors.ts';
import { IpRoute2 } from './iproute2.ts';
import { Iptables } from './iptables.ts';
import { removeNodeRoutes } from './overlay/routes.ts';
import { removeNetworkPolicyRules } from './policy/controller.ts';
import { removeServiceProxyRules } from './proxy/proxier.ts';

export interface RemoveNodeNetworkOptions {
  bridgeName?: string;
  /** Inside this named network namespace (tests). */
  netns?: string;
}

export async function removeNodeNetwork(options: RemoveNodeNetworkOptions = {}): Promise<void> {
  const iptables = new Iptables({ netns: options.netns });
  const bridge = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
  const steps: [string, () => Promise<unknown>][] = [
    ['service proxy rules', () => removeServiceProxyRules(iptables)],
    ['network policy rules', () => removeNetworkPolicyRules(iptables)],
    ['routes and masquerade', () => removeNodeRoutes({ netns: options.netns })],
    [`bridge ${bridge}`, async () => {
      const ip = new IpRoute2(options.netns);
      if ((await ip.exec('ip', ['link', 'show', bridge])).code === 0) await ip.run('ip', ['link', 'del', bridge]);
    }],
  ];
  const failures: string[] = [];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(`${what}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw new NetworkError('iptables-failed', `could not remove all of the node's network: ${failures.join('; ')}`);
}
