// @dynamojs/generate
export {};
