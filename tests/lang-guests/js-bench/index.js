// The invoke bench's JavaScript skill: the same word count as text-tools'.
import { ability, s } from 'skillhost-sdk';

ability(
  {
    name: 'word_count',
    description: 'Counts the words, lines, characters and bytes of a text.',
    input: s.object({ text: s.string('The text.') }),
  },
  ({ text }) => ({
    words: text.split(/\s+/).filter(Boolean).length,
    lines: text === '' ? 0 : text.split('\n').length,
    characters: [...text].length,
    bytes: new TextEncoder().encode(text).length,
  }),
);

ability({ name: 'noop', description: 'Does nothing.' }, () => 'ok');
