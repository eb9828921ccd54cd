/*
 * Stands in for sanitize-html, which ipywidgets uses only for descriptions marked
 * `description_allow_html`. Learner pages never mark one: every description is shown as
 * text, escaped here, which also keeps sanitize-html and its CSS parser (about 150 kB) off
 * the page.
 */
export default function escapeHtml(source: string): string {
  return String(source)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
