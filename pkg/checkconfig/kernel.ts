/**
 * Whether the running kernel has a feature, from every source a host may offer: its build
 * config (/proc/config.gz or /boot/config-<release>), what is loaded (/proc/modules, and
 * /sys/module, which also lists built-in code), and what could be loaded
 * (/lib/modules/<release>/modules.dep and modules.builtin). Containers and minimal VMs often
 * lack some of these, so the answer may honestly be "unknown".
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { readText, type HostView } from './host.ts';

/** builtin or loaded: usable now; module: loadable (modprobe); absent: not in this kernel. */
export type FeatureState = 'builtin' | 'loaded' | 'module' | 'absent' | 'unknown';

export interface KernelFeature {
  /** The Kconfig symbol, e.g. CONFIG_BRIDGE_NETFILTER. */
  config: string;
  /** The module's name, e.g. br_netfilter. */
  module: string;
}

/** Module names use '_' in /proc/modules and either '_' or '-' in file names. */
const normalize = (name: string) => name.replace(/-/g, '_');

function moduleNamesOf(text: string | undefined): Set<string> | undefined {
  if (text === undefined) return undefined;
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const file = line.split(':')[0]?.trim();
    if (file) names.add(normalize(path.basename(file).replace(/\.ko(\.\w+)?$/, '')));
  }
  return names;
}

export class KernelInfo {
  /** CONFIG_X → 'y' | 'm' (other values are not features); undefined when no config was found. */
  readonly config: Map<string, string> | undefined;
  /** Where the config came from, for the report. */
  readonly configSource: string | undefined;
  private readonly loaded: Set<string>;
  private readonly loadable: Set<string> | undefined;
  private readonly builtin: Set<string> | undefined;

  constructor(private readonly host: HostView) {
    const { text, source } = KernelInfo.readConfig(host);
    this.configSource = source;
    if (text !== undefined) {
      this.config = new Map();
      for (const match of text.matchAll(/^(CONFIG_\w+)=([ym])$/gm)) this.config.set(match[1]!, match[2]!);
    }
    this.loaded = new Set((readText(path.join(host.proc, 'modules')) ?? '').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean));
    const modulesDir = path.join(host.libModules, host.kernelRelease);
    this.loadable = moduleNamesOf(readText(path.join(modulesDir, 'modules.dep')));
    this.builtin = moduleNamesOf(readText(path.join(modulesDir, 'modules.builtin')));
  }

  private static readConfig(host: HostView): { text?: string; source?: string } {
    const gz = path.join(host.proc, 'config.gz');
    try {
      return { text: zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8'), source: gz };
    } catch {
      const boot = path.join(host.boot, `config-${host.kernelRelease}`);
      const text = readText(boot);
      return text === undefined ? {} : { text, source: boot };
    }
  }

  feature(feature: KernelFeature): FeatureState {
    const module = normalize(feature.module);
    const setting = this.config?.get(feature.config);
    if (setting === 'y' || this.builtin?.has(module)) return 'builtin';
    if (this.loaded.has(module) || fs.existsSync(path.join(this.host.sys, 'module', module))) return 'loaded';
    if (setting === 'm' || this.loadable?.has(module)) return 'module';
    // Only a kernel config can tell that something is not there at all.
    return this.config ? 'absent' : 'unknown';
  }
}
