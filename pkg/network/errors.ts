/** Stable codes for pod network problems: the user fixes each one differently. */
export type NetworkErrorCode =
  | 'bad-pod-cidr' // the Node's podCIDR is not a usable range
  | 'bad-bridge-name' // not a Linux interface name
  | 'bad-mtu'
  | 'write-failed' // the CNI conf dir cannot be written
  | 'iptables-failed' // an iptables tool is missing or refused the rules
  | 'no-pod-cidr' // the Node never got a podCIDR (stopped waiting)
  | 'bad-flannel-backend' // --flannel-backend names no backend tsk has
  | 'no-interface' // --flannel-iface or the node IP's interface is not on this machine
  | 'ip-failed'; // an ip/bridge command is missing or refused a change (routes, VXLAN device)

export class NetworkError extends Error {
  readonly code: NetworkErrorCode;

  constructor(code: NetworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
    this.code = code;
  }
}
