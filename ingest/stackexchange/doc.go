// Package stackexchange reads Stack Exchange data dumps (Posts.xml, Votes.xml)
// from a site .7z archive, an extracted site folder or a bare Posts.xml.
//
// The reader is a hand-written byte scanner rather than an XML decoder: the
// dump format is a flat list of self-closing <row .../> elements, so a row is
// found with a single vectorised search for the next '<' and its attributes
// are decoded only for the fields that are used. Memory use is bounded by the
// largest row (capped), never by the file size.
package stackexchange
