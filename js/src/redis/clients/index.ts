/**
 * The service's own Redis client, as the store and the cache use it: {@link adaptClient} turns a
 * node-redis client or cluster, or an ioredis `Redis` or `Cluster`, into {@link RedisCommands}
 * (commands with bytes in and out, and tracking connections of its own per server). Neither
 * library is imported here, nor loaded unless the application loaded it.
 */

export { adaptClient, clientOrTarget, isRedisClient, EXPECTED } from "./adapt.js";
export {
  bytesExpected,
  ErrorReply,
  expectBytes,
  TRACKING_CLIENT_NAME,
  type Arg,
  type ClientLibrary,
  type NodeAddress,
  type RedisCommands,
  type TrackingConn,
  type TrackingConnOptions,
} from "./types.js";
export { IoClusterCommands, IoRedisCommands, INVALIDATE_CHANNEL } from "./ioredis.js";
export { NodeRedisClientCommands, NodeRedisClusterCommands } from "./node-redis.js";
