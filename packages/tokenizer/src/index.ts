// @dynamojs/tokenizer
export {};
