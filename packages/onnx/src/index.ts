// @dynamojs/onnx
export {};
