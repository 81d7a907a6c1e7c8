export const GRPC_CLIENT = Symbol('GRPC_CLIENT');
