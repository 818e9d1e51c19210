// Peer-supplied text (adapter names, descriptions, tags from signed manifests) shown by the extension.
// A publisher signs what it likes: in a markdown preview `![x](http://…)` would load a remote image
// (revealing the user's IP), `<img onerror>` raw HTML and `[click](command:…)` a disguised link. So every
// peer string is escaped before it goes into markdown, and its `$(icon)` syntax is neutralised where
// VS Code renders codicons (QuickPick labels, status bar). No `vscode` import: tested directly.

/**
 * Escapes `text` so CommonMark (VS Code's markdown-it, HTML on) shows it literally: every ASCII
 * punctuation character gets a backslash (CommonMark allows that for all of them, so no `<tag>`,
 * link, image, emphasis, heading, list or table syntax survives), and line breaks become spaces so the
 * text cannot start a block of its own (a heading, a fenced block, a table row).
 */
export function escapeMarkdown (text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, c => `\\${c}`)
}

/**
 * A multi-line description as escaped paragraphs: its blank-line paragraphs are kept, each escaped
 * like `escapeMarkdown`.
 */
export function escapeMarkdownParagraphs (text: string): string {
  return text.split(/(?:\r?\n[ \t]*){2,}/).map(p => escapeMarkdown(p.trim())).filter(p => p !== '').join('\n\n')
}

/**
 * Shows codicon syntax such as `$(alert)` literally where VS Code would render an icon
 * (VS Code's own `escapeIcons`: a backslash before the `$`).
 */
export function escapeIcons (text: string): string {
  return text.replace(/(\\)?\$\([a-z0-9-]+?(?:~[a-z0-9-]*?)?\)/gi, (match, escaped: string | undefined) => escaped !== undefined ? match : `\\${match}`)
}

/**
 * Notifications turn `[text](https:|command:|file:…)` into links: in peer text the pair is split so
 * it stays text (and `$(icon)` stays literal).
 */
export function escapeNotification (text: string): string {
  return escapeIcons(text).replace(/\]\s*\(/g, '] (')
}
