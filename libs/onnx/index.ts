export {
  AttributeProto_AttributeType,
  ModelProto,
  TensorProto,
  TensorProto_DataType,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type OperatorSetIdProto,
  type SparseTensorProto,
  type TypeProto,
  type ValueInfoProto,
} from './generated/onnx.js';
export {
  type OnnxElemType,
  type TensorElemType,
  elemTypeBits,
  elemTypeCode,
  elemTypeName,
  elementCount,
} from './elem-type.util.js';
export { type LoadedTensor, type TensorData, type TensorDataTypeMap } from './loaded-tensor.types.js';
export { type ModelFacts, type OpsetFact, modelFacts } from './model-facts.util.js';
export { encodeNpy, parseNpy } from './npy.codec.js';
export {
  ONNX_FORMAT_ERROR_CODES,
  OnnxFormatError,
  type OnnxFormatErrorCode,
} from './onnx-format.exception.js';
export { encodeOnnxModel, readOnnxModel } from './onnx-model.reader.js';
export {
  TENSOR_FILE_ERROR_CODES,
  TensorFileError,
  type TensorFileErrorCode,
} from './tensor-file.exception.js';
export { readTensorFile } from './tensor-file.reader.js';
export { type Dim, type TensorInfo, isDynamic, tensorInfo } from './tensor-info.util.js';
export {
  emptyTensorProto,
  encodeTensorProto,
  loadedFromTensorProto,
  parseTensorProto,
  tensorFromFloat32,
  tensorProtoFromLoaded,
} from './tensor-proto.codec.js';
export { type TinyModelOptions, buildTinyModel } from './tiny-model.builder.js';
