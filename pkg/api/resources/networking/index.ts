/** networking.k8s.io/v1. */
import type { ResourceDefinition } from '../../types.ts';
import { ingressclasses } from './ingressclass.ts';
import { ingresses } from './ingress.ts';
import { networkpolicies } from './networkpolicy.ts';

export function networkingResources(): ResourceDefinition[] {
  return [ingressclasses, ingresses, networkpolicies];
}
