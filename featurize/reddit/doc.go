// Package reddit pairs the comments of one Reddit thread (a submission and
// its comments, as ingested by ingest/reddit; the submission may be missing)
// into preference pairs, as pure functions over the thread. Two presets:
//
//   - shp (SHP, the default), after Stanford's SHP: two top-level comments of
//     a self-post, the preferred one scored strictly higher although it was
//     created no earlier than the other (it won despite less exposure), with
//     a score ratio of at least 2, the post scored at least 10 and both
//     comments at least 2. NSFW posts, deleted authors, moderator-distinguished
//     comments and comments by the post's own author are excluded. The
//     prompt is the title and the selftext.
//   - siblings (Siblings): any two comments replying to the same parent (the
//     post or a comment) whose scores differ by at least MinScoreDiff, neither
//     deleted or removed. The prompt is the parent's text, with the
//     submission's title as context when the submission is in the input. A
//     parent that is not in the input gives no pairs.
//
// Decisions the recipe leaves open (chosen here):
//   - A prompt is the title, then a blank line, then the text: "title\n\ntext";
//     just the title when the text is empty. In siblings, a comment parent's
//     prompt is "title\n\nparent text" when the submission is present, else
//     the parent's text alone; a submission parent's prompt is the same as in
//     shp.
//   - The deleted-author rule of shp applies to the comments; a post whose
//     author is deleted still takes part (no comment can then be excluded as
//     the post author's).
//   - A post whose selftext was deleted or removed gives no shp pairs, and a
//     comment parent whose body is gone gives no siblings pairs: the prompt
//     is gone. A submission parent with its selftext gone keeps its title as
//     the siblings prompt.
//   - Comments with an empty or deleted body never take part in either preset.
//   - Equal scores never give a pair, even with MinScoreDiff <= 0.
//   - Margin is the chosen score minus the rejected score (shp too; the ratio
//     is what selects shp pairs, the margin stays comparable across presets).
//   - Dump and thread: a pair's Dump is the submission's when it is present,
//     else the smallest Dump among the comments; its ThreadID is the
//     submission's fullname (the comments' ThreadID). The split is
//     schemas.SplitOf("reddit", "", thread): a thread's comments arrive in
//     several monthly dumps, and keying the split by thread alone keeps every
//     pair of a thread in one split whichever month it came from.
//   - Duplicate ids (a document ingested twice) count once: the first by
//     (created, id, dump, source file, offset), then by its other fields.
//   - Order is deterministic whatever the input order: documents are sorted by
//     (created, id); shp pairs follow the sorted comments, siblings pairs the
//     sorted parents and then the sorted replies. MaxPairsPerThread keeps the
//     pairs whose FNV-1a hash of (Seed, PairID) is smallest, in that order.
package reddit
