/**
 * The Lua scripts of the cache (the store's dictionary append is in `store.ts`).
 */

import { Script } from "./link.js";

/**
 * The fetch of a tracking cache on one server: the value and its TTL in one atomic step (Redis
 * 7.0 or later: the shebang; the tracker loads it on every server before tracking goes live).
 */
export const FETCH_SCRIPT = new Script(`#!lua flags=no-writes
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`);

/** The same on a cluster, with the id of the node that answered (an `ASK` may lead elsewhere). */
export const CLUSTER_FETCH_SCRIPT = new Script(`#!lua flags=no-writes
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('CLUSTER', 'MYID')}
`);
