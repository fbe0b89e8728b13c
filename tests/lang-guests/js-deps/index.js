// A skill that uses an npm package, bundled into the component.
import ms from 'ms';
import { ability, s } from 'skillhost-sdk';

ability(
  {
    name: 'millis',
    description: 'Turns a duration such as "2 days" into milliseconds.',
    input: s.object({ duration: s.string('A duration, e.g. "1h".') }),
  },
  ({ duration }) => ({ ms: ms(duration) }),
);
