// Package wikipedia reads MediaWiki XML exports of full page histories
// (schema 0.10 and 0.11; older ones such as 0.3 too), plain, bzip2 or 7z,
// one page and one revision at a time, and maps revisions to
// schemas.Documents for the `reverts` recipe (docs/recipes.md, "Wikipedia
// (preset reverts)").
//
// # Streaming
//
// The XML is read by a hand-written byte scanner, not encoding/xml: tags
// are found with a vectorised search for '<', character data is copied
// with entity references decoded, and every element the reader does not
// know is skipped whole, so later schema versions read too. The caller
// takes revisions as they stream: the Reader holds one revision, never a
// page. One 128 KiB buffer holds tags; a revision text streams through it
// into a string allocated once from <text bytes="N">. Nothing but the
// current revision grows with the input: a page of 100,000 revisions and a
// revision of 50 MB both read in bounded memory.
//
// # Parallel bzip2
//
// compress/bzip2 decodes about 50 MB/s on one core, slower than `bzip2 -dc`
// (65 MB/s) and lbzip2 (73 MB/s per core). Open decodes .bz2 with a block
// decoder of our own (~137 MB/s per core: the inverse BWT walks 16 stretches
// of the cycle at once, so their cache misses overlap; table-driven Huffman
// codes; run-length expansion and a slicing-by-16 CRC a word at a time),
// on all cores: a producer finds block boundaries
// (the 48-bit block and end-of-stream magics, at any bit offset), copies
// each block to a byte-aligned one-block stream ("BZh" + level, the block,
// the end-of-stream magic and, as the stream CRC, the block's own CRC);
// workers decode those, each reusing one decoder's tables across its
// blocks; a collector puts the output back in order and checks every
// stream's CRC against its blocks'. Concatenated streams (multistream
// files) are read. A magic can also occur by chance inside block data:
// both halves of the block then fail to decode and the collector retries
// the first one joined to the next segment. At anything else unexpected in
// the stream framing, the rest of the input goes to a sequential
// compress/bzip2.
//
// # Chosen here
//
//   - Every field but the text is capped at 64 KiB and cut there (MediaWiki
//     titles are at most 255 bytes, comments 1,000 characters).
//   - A page without <ns> (exports older than 0.6) gets the namespace whose
//     <siteinfo> name prefixes its title, else 0.
//   - Revision.SHA1 is the <sha1> element, else the sha1 attribute of
//     <text> (0.11), else computed as MediaWiki does (base 36, 31 digits)
//     unless the text is deleted.
//   - A 0.11 <content> block whose role is "main" replaces the revision's
//     text; other slots are ignored. The role must come before the text,
//     as in the schema.
//   - The scanner is lenient: end tags are not matched to start tags,
//     unknown entities (&nbsp;) and invalid character references are kept
//     as written, and carriage returns are not normalised (MediaWiki
//     writes none).
//   - A malformed number or timestamp is a fatal *ReadError: exports are
//     machine-written, so it means corruption.
//   - Documents carry FlagAuthorDeleted for a deleted contributor besides
//     FlagDeleted and FlagMinorEdit, and Upvotes -1 (not given).
//   - Offsets (Revision.Offset, Reader.Offset, SkipTo) are in the
//     uncompressed XML; a *ReadError from bzip2 decoding gives the
//     compressed offset of the failing block (or of the end of a
//     truncated file) and says so.
package wikipedia
