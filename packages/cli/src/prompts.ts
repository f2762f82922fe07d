/**
 * The default prompt set of `dynamo bench`: open-ended sentence beginnings of every kind
 * (declarative, interrogative, imperative, exclamatory), written for this CLI.
 */
export const DEFAULT_PROMPTS: readonly string[] = [
  'The old lighthouse keeper climbed the stairs and',
  'When the rain finally stopped, the children',
  'Why do people keep',
  'Could you tell me where',
  'Tell me about the day you',
  'Never leave the door',
  'What a wonderful surprise! I',
  'The best way to learn a new language is',
  'In the middle of the night, she heard',
  'After years of hard work, the farmers',
  'It was the first time that anyone had',
  'Listen carefully, because',
];
