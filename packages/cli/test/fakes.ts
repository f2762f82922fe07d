// The fakes shared with @dynamojs/generate's tests.
export * from '../../generate/test/fakes.js';
