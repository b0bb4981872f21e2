/**
 * Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`), which kubectl 1.32+ sends
 * for its typed-client requests. Load this module with a dynamic import on the first protobuf
 * request: nothing here is needed by JSON clients, and the definitions are parsed on first use.
 */
export {
  PROTOBUF_CONTENT_TYPE,
  PROTOBUF_MAGIC,
  decodeProtobufObject,
  encodeProtobufObject,
  encodeProtobufWatchEvent,
  supportsProtobuf,
  type ExpectedKind,
} from './envelope.ts';
