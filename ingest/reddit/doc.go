// Package reddit reads Reddit dumps: the monthly RC_YYYY-MM.zst (comments) and
// RS_YYYY-MM.zst (submissions) files, NDJSON compressed with zstd frames that
// declare windows of up to 2 GiB, or the same NDJSON uncompressed.
//
// Reading is a pipeline over both cores. One goroutine reads (and decompresses)
// the input and cuts it into chunks of about 1 MiB of whole lines; a few
// workers parse chunks in parallel; Next hands the records back in input
// order. A bounded number of chunks is in flight, so memory does not depend on
// the file size (only on the zstd window and the longest line).
//
// Lines are parsed by a hand-written lenient scanner, not encoding/json: it
// decodes only the keys a Record needs and skips every other value by its
// structure, without building it. Numbers may be JSON numbers, strings or
// null; keys come and go across years; unknown keys and "_meta" objects are
// ignored; invalid UTF-8 and lone surrogates become U+FFFD, as encoding/json
// does.
//
// Decisions the recipe leaves open (chosen here):
//   - A line's kind comes from its keys ("body" makes a comment, "title" or
//     "selftext" a submission); only a line with neither falls back to the
//     RC_/RS_ file name.
//   - Reddit stores markdown with &amp;, &lt; and &gt; HTML-escaped: Title and
//     Body are unescaped once, for those three entities only.
//   - A body or selftext of exactly "[deleted]" or "[removed]" sets Deleted and
//     leaves Body empty; an author "[deleted]" or "[removed]" sets
//     AuthorDeleted and leaves Author empty.
//   - IDs become fullnames: "t1_" or "t3_" is prepended unless already there;
//     a comment's link_id gets "t3_" when it lacks it. A comment without
//     link_id takes its parent_id when that names a submission; with neither
//     the line is a *RowError, as is a line without id (or name).
//   - A submission's LinkID is its own fullname, so both kinds group by LinkID.
//   - is_self missing (very old submissions): a domain "self.<subreddit>"
//     marks a self-post.
//   - Lenient numbers: floats are truncated toward zero, "" and null are 0; a
//     string that is not a number, or an object, array or boolean where a
//     number belongs, makes the line a *RowError. Invalid escapes such as \x
//     are kept literally.
//   - A line longer than 8 MiB is a *RowError (its first 64 KiB kept) and is
//     skipped; RowError.Row otherwise holds the whole line up to 64 KiB.
//   - Blank lines are skipped silently. A last line without a newline is read
//     as a line.
//   - Compression is detected by the zstd magic number, not the extension.
package reddit
