// Building the page. Every text from the API goes in through text nodes
// (`el`'s children, `textContent`), never as markup: a skill's
// description is shown, never run.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/// Replaces `node`'s children, leaving out the absent ones.
export function fill(node, ...children) {
  node.replaceChildren(...el('div', {}, ...children).childNodes);
}

/// Asks the shell to draw the current view again (after a change).
export function refresh() {
  window.dispatchEvent(new CustomEvent('console:refresh'));
}

/// A button that runs `action`, then redraws the view; a failure is shown
/// beside it.
export function action(label, run, { name } = {}) {
  return el('button', {
    type: 'button',
    'aria-label': name,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      button.parentElement.querySelector(':scope > .failure')?.remove();
      try {
        await run();
        refresh();
      } catch (e) {
        button.disabled = false;
        if (e.message !== 'signed out') button.after(el('span', { role: 'alert', class: 'failure' }, ` ${e.message}`));
      }
    },
  }, label);
}

let fields = 0;

/// A form of labelled fields. Each field is [name, label, attributes]:
/// `options` makes a select, `type: 'checkboxes'` a group of checkboxes
/// (`options` with `checked`), `type: 'file'` a file input. `onSubmit` gets
/// the values (a checkbox group's as a list) and the form; whatever was
/// typed (a secret's value) is cleared as soon as it is read.
export function form(title, specs, submit, onSubmit) {
  const controls = specs.map(([name, label, attributes = {}]) => {
    const id = `f${++fields}-${name}`;
    const { options, hint, ...rest } = attributes;
    if (rest.type === 'checkboxes') {
      return el('fieldset', { 'data-name': name }, el('legend', {}, label),
        options.map(([value, text, checked], i) => el('label', { class: 'check' },
          el('input', { type: 'checkbox', name, value, id: `${id}-${i}`, checked }), ` ${text}`)),
        hint ? el('p', { class: 'hint' }, hint) : null);
    }
    const control = options
      ? el('select', { id, name, ...rest }, options.map(([value, text]) => el('option', { value }, text)))
      : el('input', { id, name, autocomplete: 'off', ...rest });
    return [el('label', { for: id }, label), control, hint ? el('p', { class: 'hint' }, hint) : null];
  });
  const node = el('form', { 'aria-label': title }, controls, el('button', { type: 'submit' }, submit), el('p', { role: 'alert' }));
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(node);
    const values = {};
    for (const [name, , attributes = {}] of specs) {
      values[name] = attributes.type === 'checkboxes' ? data.getAll(name) : data.get(name);
    }
    for (const input of node.querySelectorAll('input[type="password"], input[type="file"]')) input.value = '';
    const alert = node.querySelector(':scope > [role="alert"]');
    alert.textContent = '';
    try {
      await onSubmit(values, node);
    } catch (e) {
      if (e.message !== 'signed out') alert.textContent = e.message;
    }
  });
  return node;
}

/// A table with a header row; `rows` are arrays of cells.
export function table(caption, headings, rows) {
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((cell) => el('td', {}, cell))))));
}

/// A value shown once (a new token's secret): selectable, announced, and
/// gone with the next redraw.
export function shownOnce(label, value) {
  return el('div', { class: 'once', role: 'status' },
    el('p', {}, `${label} It is shown this once: copy it now.`),
    el('output', { 'aria-label': label }, value));
}
