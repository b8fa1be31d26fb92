// Package wikipedia is the `reverts` preset (docs/recipes.md, "Wikipedia
// (preset reverts)"): a revert restores an earlier text of a page, and the
// restored text is preferred over the one it replaced.
//
// A Pager takes the revisions of one page, in order, as the ingest reader
// maps them (ingest/wikipedia: Revision.Document), and returns each pair as
// soon as its reverting revision arrives. It remembers only the ids and
// hashes of the last 16 revisions and the previous revision itself, never
// the page.
//
// Revision k reverts when its text hash equals that of a revision j with
// k-15 <= j <= k-2 and differs from revision k-1's. Deleted texts have no
// hash: they neither revert nor are reverted to, and a revert whose
// previous text is deleted gives no pair. The pair prefers revision k's
// text (the restored one) to revision k-1's, scores 1 and 0, margin 1,
// basis "revert", split by page.
//
// # Chosen here
//
//   - The hash is the dump's SHA-1 from Document.Extra, computed from the
//     text (as MediaWiki does) when absent.
//   - ChosenID is the reverting revision k, whose text is the restored
//     one; RejectedID is k-1. One pair per reverting revision.
//   - The texts are the changed region: the texts are split into
//     paragraphs (runs of non-blank lines; whitespace-only lines are
//     blank), the common leading and trailing paragraphs are trimmed (O(n),
//     instead of a full diff), and ContextParagraphs (default 1) unchanged
//     paragraphs are kept on each side, joined by blank lines. Texts that
//     differ only in blank lines give no pair.
//   - Each text is cut at MaxTextBytes (default 64 KiB) on a rune boundary.
//   - The prompt is "Title", or "Title\n\nSection: Heading" where Heading is
//     the nearest "== Heading ==" line (levels 1 to 6) at or before the
//     first line where the restored text differs.
//   - VandalismOnly keeps reverts whose comment contains "vandal",
//     "revert", "undid", "undo", "rollback", "rolled back", "huggle",
//     "twinkle", "[[wp:tw|tw]]", "[[wp:hg|hg]]", "cluebot", "stiki",
//     "igloo", "redwarn" or "ultraviolet", or the word "rv", "rvv", "rvt"
//     or "rvd", ignoring case; a deleted comment names nothing.
//   - Window above 15 is 15 (the Pager keeps 16 revisions); 0 means 15.
//   - A revision of another page or dump starts the Pager over.
package wikipedia
