// The only way the console creates elements. Text always goes in as text
// nodes and attributes through setAttribute, never as markup, so data from
// the cluster (keys, values, node ids, error messages) cannot inject HTML.

const svgNs = 'http://www.w3.org/2000/svg';

/**
 * @param {Element} node
 * @param {Record<string, string | number | boolean | undefined | null>} attrs
 * @param {(Node | string | number | null | undefined | false)[]} children
 */
function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    // Event handlers are attached with addEventListener, never as attributes.
    if (name.toLowerCase().startsWith('on')) throw new Error(`refusing event-handler attribute ${name}`);
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** An HTML element. */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(svgNs, tag), attrs, children);
}

/** Replaces the content of the element with this id. */
export function show(id, ...children) {
  const target = document.getElementById(id);
  if (target === null) throw new Error(`no element #${id}`);
  target.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}
