/**
 * The two rollout strategies, as Kubernetes' rolling.go and recreate.go. RollingUpdate scales
 * the new ReplicaSet up within maxSurge, then old ones down while at least
 * replicas − maxUnavailable pods stay available (unhealthy old pods first). Recreate scales
 * every old ReplicaSet to zero, waits until their pods are gone, then scales the new one up.
 * Both delete old ReplicaSets beyond revisionHistoryLimit once the rollout completes, and end
 * with the rollout status (whose answer is when to look again for a stuck rollout).
 */
import type { KObject } from '../../api/types.ts';
import { deploymentComplete } from './progress.ts';
import type { DeploymentSync } from './sync.ts';
import { active, byCreation, maxUnavailable, newReplicaSetReplicas, replicasOf, specReplicas, statusCount, type ReplicaSet } from './util.ts';

export async function rolloutRolling(s: DeploymentSync): Promise<number | undefined> {
  const { newRS, oldRSs } = await s.newAndOld(true);
  const all = (): ReplicaSet[] => s.current([...oldRSs, newRS]);
  if (await reconcileNewReplicaSet(s, all(), s.current([newRS])[0]!)) return s.syncRolloutStatus(all(), s.current([newRS])[0]);
  if (await reconcileOldReplicaSets(s, all(), active(s.current(oldRSs)), s.current([newRS])[0]!)) return s.syncRolloutStatus(all(), s.current([newRS])[0]);
  if (deploymentComplete(s.d, s.d.status ?? {})) await s.cleanup(s.current(oldRSs));
  return s.syncRolloutStatus(all(), s.current([newRS])[0]);
}

async function reconcileNewReplicaSet(s: DeploymentSync, all: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const want = replicasOf(s.d);
  if (replicasOf(newRS) === want) return false;
  if (replicasOf(newRS) > want) return (await s.scaleAndRecord(newRS, want)).scaled;
  return (await s.scaleAndRecord(newRS, newReplicaSetReplicas(s.d, all, newRS))).scaled;
}

async function reconcileOldReplicaSets(s: DeploymentSync, all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old replicas first: they would otherwise block the rollout.
  const { sets, count: cleaned } = await cleanupUnhealthyReplicas(s, oldRSs, maxScaledDown);
  const scaledDown = await scaleDownOldForRollingUpdate(s, [...sets, newRS], sets);
  return cleaned + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(s: DeploymentSync, oldRSs: ReplicaSet[], maxCleanup: number): Promise<{ sets: ReplicaSet[]; count: number }> {
  const sets = [...oldRSs].sort(byCreation);
  let total = 0;
  for (const [i, rs] of sets.entries()) {
    if (total >= maxCleanup) break;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
    const down = Math.min(maxCleanup - total, replicasOf(rs) - available);
    sets[i] = (await s.scaleAndRecord(rs, replicasOf(rs) - down)).rs;
    total += down;
  }
  return { sets, count: total };
}

async function scaleDownOldForRollingUpdate(s: DeploymentSync, all: ReplicaSet[], oldRSs: ReplicaSet[]): Promise<number> {
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const available = statusCount(all, 'availableReplicas');
  if (available <= minAvailable) return 0;
  const target = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= target) break;
    if (replicasOf(rs) === 0) continue;
    const down = Math.min(replicasOf(rs), target - total);
    await s.scaleAndRecord(rs, replicasOf(rs) - down);
    total += down;
  }
  return total;
}

/** `podsBySet`: the Deployment's pods by the UID of the ReplicaSet controlling them. */
export async function rolloutRecreate(s: DeploymentSync, podsBySet: Map<string, KObject[]>): Promise<number | undefined> {
  let { newRS, oldRSs } = await s.newAndOld(false);
  let scaledDown = false;
  for (const rs of active(oldRSs)) if ((await s.scaleAndRecord(rs, 0)).scaled) scaledDown = true;
  if (scaledDown) return s.syncRolloutStatus(s.current([...oldRSs, newRS]), s.current([newRS])[0]);
  // Not one old pod may run next to a new one.
  if (oldPodsRunning(s.current(oldRSs), newRS, podsBySet)) return s.syncRolloutStatus(s.current([...oldRSs, newRS]), s.current([newRS])[0]);
  if (!newRS) ({ newRS, oldRSs } = await s.newAndOld(true));
  await s.scaleAndRecord(s.current([newRS])[0]!, replicasOf(s.d));
  if (deploymentComplete(s.d, s.d.status ?? {})) await s.cleanup(s.current(oldRSs));
  return s.syncRolloutStatus(s.current([...oldRSs, newRS]), s.current([newRS])[0]);
}

function oldPodsRunning(oldRSs: ReplicaSet[], newRS: ReplicaSet | undefined, podsBySet: Map<string, KObject[]>): boolean {
  if (statusCount(oldRSs, 'replicas') > 0) return true;
  for (const [uid, pods] of podsBySet) {
    if (uid === newRS?.metadata.uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
