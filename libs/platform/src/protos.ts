// The generated protobuf messages (npm run proto:gen), plus the helpers to build them.
export * from './gen/mmm/v1/dataset_pb';
export * from './gen/mmm/v1/training_pb';
export * from './gen/mmm/v1/model_pb';
export * from './gen/mmm/v1/optimization_pb';
export * from './gen/mmm/v1/attribution_pb';
export * from './gen/mmm/v1/report_pb';
export * from './gen/mmm/v1/jobs_pb';
export { create, toBinary, fromBinary, toJson, fromJson } from '@bufbuild/protobuf';
export {
  timestampNow,
  timestampFromDate,
  timestampDate,
  timestampFromMs,
} from '@bufbuild/protobuf/wkt';
export type { Timestamp } from '@bufbuild/protobuf/wkt';
