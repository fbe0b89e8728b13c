// Word utilities: pure functions of their input, plus a vocabulary kept in
// session state and a stop-word list from configuration.
import { ability, s, InvalidInput, config, session, log } from 'skillhost-sdk';

// Words are runs between whitespace and punctuation. (StarlingMonkey's
// regular expressions have no Unicode property escapes such as \p{L}.)
const words = (text) =>
  text
    .toLowerCase()
    .split(/[\s.,;:!?"()[\]{}<>\/\\|*_~`=+#@$%^&\u2013\u2014\u2018\u2019\u201c\u201d-]+/)
    .filter(Boolean);

ability(
  {
    name: 'word_count',
    description: 'Counts the words, lines and characters of a text.',
    input: s.object({ text: s.string('The text to analyse.') }),
  },
  ({ text }) => ({
    words: words(text).length,
    lines: text === '' ? 0 : text.split('\n').length,
    characters: [...text].length,
  }),
);

const FOLD = Object.fromEntries(
  ['àáâãäå:a', 'æ:ae', 'ç:c', 'èéêë:e', 'ìíîï:i', 'ñ:n', 'òóôõöø:o', 'œ:oe', 'ß:ss', 'ùúûü:u', 'ýÿ:y'].flatMap((row) => {
    const [from, to] = row.split(':');
    return [...from].map((c) => [c, to]);
  }),
);

ability(
  {
    name: 'slugify',
    description: 'Turns a text into a URL slug: lowercase letters and digits joined by single hyphens.',
    input: s.object({ text: s.string('The text to turn into a slug.') }),
  },
  ({ text }) => {
    // StarlingMonkey has no String.prototype.normalize (no ICU), so accents
    // are folded with a small table.
    const slug = [...text.toLowerCase()]
      .map((c) => FOLD[c] ?? c)
      .join('')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    if (!slug) throw InvalidInput('the text has no letters or digits to make a slug of');
    return slug; // a string: text output
  },
);

ability(
  {
    name: 'top_words',
    description:
      'Returns the most frequent words of a text with their counts, leaving out the stop words configured as `stopwords` (comma-separated).',
    input: s.object({
      text: s.string('The text to analyse.'),
      limit: s.integer({ description: 'How many words to return.', minimum: 1, maximum: 100 }).default(5),
    }),
  },
  ({ text, limit }) => {
    const stop = new Set((config('stopwords') ?? '').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean));
    const counts = new Map();
    for (const w of words(text)) if (!stop.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
    log.debug('counted', { distinct: counts.size, stopwords: stop.size });
    return [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([word, count]) => ({ word, count }));
  },
);

ability(
  {
    name: 'learn',
    description: "Adds a text's words to this session's vocabulary and returns how many distinct words it holds.",
    input: s.object({ text: s.string('The text whose words to learn.') }),
  },
  ({ text }) => {
    const vocabulary = new Set(session.getJson('vocabulary') ?? []);
    for (const w of words(text)) vocabulary.add(w);
    session.setJson('vocabulary', [...vocabulary].sort());
    log.info('learned', { size: vocabulary.size });
    return { distinct: vocabulary.size };
  },
);

ability(
  {
    name: 'vocabulary',
    description: "Returns this session's vocabulary, sorted.",
  },
  () => session.getJson('vocabulary') ?? [],
);

ability(
  {
    name: 'forget',
    description: "Clears this session's vocabulary.",
  },
  () => {
    session.delete('vocabulary');
    return 'forgotten';
  },
);
