package wikipedia

import "encoding/binary"

// bzip2's CRC-32 is the generator polynomial 0x04C11DB7 applied most
// significant bit first (not bit-reflected, unlike hash/crc32's IEEE), with
// an all-ones start value and final complement.
const bzCRCPoly = 0x04C11DB7

// bzCRCTables are the slicing-by-16 tables: bzCRCTables[k][b] is the CRC
// register after byte b followed by k zero bytes, from a zero register.
var bzCRCTables = func() (t [16][256]uint32) {
	for b := range 256 {
		crc := uint32(b) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ bzCRCPoly
			} else {
				crc <<= 1
			}
		}
		t[0][b] = crc
	}
	for k := 1; k < 16; k++ {
		for b := range 256 {
			prev := t[k-1][b]
			t[k][b] = prev<<8 ^ t[0][prev>>24]
		}
	}
	return t
}()

// bzCRCUpdate returns the bzip2 CRC of the data whose CRC is crc followed
// by p (crc is 0 for no data).
func bzCRCUpdate(crc uint32, p []byte) uint32 {
	t := &bzCRCTables
	c := ^crc
	for len(p) >= 16 {
		x := c ^ binary.BigEndian.Uint32(p)
		c = t[15][x>>24] ^ t[14][x>>16&0xff] ^ t[13][x>>8&0xff] ^ t[12][x&0xff] ^
			t[11][p[4]] ^ t[10][p[5]] ^ t[9][p[6]] ^ t[8][p[7]] ^
			t[7][p[8]] ^ t[6][p[9]] ^ t[5][p[10]] ^ t[4][p[11]] ^
			t[3][p[12]] ^ t[2][p[13]] ^ t[1][p[14]] ^ t[0][p[15]]
		p = p[16:]
	}
	for _, b := range p {
		c = c<<8 ^ t[0][byte(c>>24)^b]
	}
	return ^c
}

// bzCombineCRC folds a block's CRC into its stream's combined CRC.
func bzCombineCRC(combined, block uint32) uint32 {
	return (combined<<1 | combined>>31) ^ block
}
