package glance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// decodeAll decodes data with the given number of workers.
func decodeAll(t testing.TB, mode string, data []byte, workers int) ([]byte, error) {
	t.Helper()
	rc, err := decompressorWorkers(mode, bytes.NewReader(data), workers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return io.ReadAll(rc)
}

// toolCompress runs a C tool (args, then stdin → stdout) over data; the test is skipped when
// the tool is missing, unless GLANCE_REQUIRE_QEMU is set (make unit sets it; testenv.sh
// installs the tools), so a missing tool cannot pass silently there.
func toolCompress(t testing.TB, data []byte, tool string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("GLANCE_REQUIRE_QEMU") != "" {
			t.Fatalf("%s is not installed, and GLANCE_REQUIRE_QEMU is set (testenv.sh installs it)", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	cmd := exec.CommandContext(context.Background(), tool, args...)
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	return out.Bytes()
}

// diskLike is a few MiB of data shaped like a disk image: text, zero runs, random bytes.
func diskLike(t testing.TB, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	seed := sha256.Sum256([]byte("disk"))
	for b.Len() < size {
		switch (b.Len() / (192 << 10)) % 4 {
		case 0:
			b.Write(bytes.Repeat([]byte{0}, 64<<10))
		case 1:
			seed = sha256.Sum256(seed[:])
			for range 1024 {
				seed = sha256.Sum256(seed[:])
				b.Write(seed[:])
			}
		default:
			b.WriteString("The quick brown fox jumps over the lazy dog; /usr/lib/x86_64-linux-gnu/libc.so.6\n")
		}
	}
	return b.Bytes()[:size]
}

// bzip2Variants are the same data compressed the ways bzip2 files come: one stream of many
// blocks, pbzip2's and lbzip2's outputs, concatenated streams.
func bzip2Variants(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	v := map[string][]byte{
		"bzip2 -1": toolCompress(t, data, "bzip2", "-1", "-c"),
		"bzip2 -9": toolCompress(t, data, "bzip2", "-9", "-c"),
	}
	v["two streams"] = append(append([]byte{}, v["bzip2 -1"]...), v["bzip2 -9"]...)
	v["empty stream between"] = append(append(append([]byte{}, v["bzip2 -1"]...), toolCompress(t, nil, "bzip2", "-c")...), v["bzip2 -9"]...)
	for tool, threads := range map[string]string{"pbzip2": "-p2", "lbzip2": "-n2"} {
		if _, err := exec.LookPath(tool); err == nil || os.Getenv("GLANCE_REQUIRE_QEMU") != "" {
			v[tool] = toolCompress(t, data, tool, "-1", "-c", threads)
		}
	}
	return v
}

func TestDecompressorWorkers_bzip2SameAsSequential(t *testing.T) {
	data := diskLike(t, 3<<20)
	for name, z := range bzip2Variants(t, data) {
		want, err := decodeAll(t, "bzip2", z, 1)
		if err != nil {
			t.Fatalf("%s: sequential: %v", name, err)
		}
		if name != "two streams" && name != "empty stream between" && !bytes.Equal(want, data) {
			t.Fatalf("%s: the sequential decoder is wrong", name)
		}
		for workers := 2; workers <= 4; workers++ {
			got, err := decodeAll(t, "bzip2", z, workers)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s, %d workers: %d bytes (want %d), %v", name, workers, len(got), len(want), err)
			}
		}
	}
}

// xzVariants are the same data compressed the ways xz files come: multi-threaded (sizes in
// every block header), single-threaded with blocks (no sizes), other checks and filters,
// concatenated streams with padding.
func xzVariants(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	v := map[string][]byte{
		"-T0":                    toolCompress(t, data, "xz", "-T0", "-c"),
		"-T2 blocks":             toolCompress(t, data, "xz", "-T2", "--block-size=200000", "-c"),
		"-T1 blocks (no sizes)":  toolCompress(t, data, "xz", "-T1", "--block-size=300000", "-c"),
		"-0 -T2 crc32":           toolCompress(t, data, "xz", "-0", "-T2", "--block-size=100000", "--check=crc32", "-c"),
		"-T2 sha256":             toolCompress(t, data, "xz", "-T2", "--block-size=250000", "--check=sha256", "-c"),
		"-T2 no check":           toolCompress(t, data, "xz", "-T2", "--block-size=250000", "--check=none", "-c"),
		"-T2 x86 filter":         toolCompress(t, data, "xz", "-T2", "--block-size=250000", "--x86", "--lzma2=preset=6", "-c"),
		"-9 -T2 big dictionary":  toolCompress(t, data, "xz", "-9", "-T2", "--block-size=500000", "-c"),
		"single-threaded, 1 blk": toolCompress(t, data, "xz", "-T1", "-c"),
	}
	two := append(append([]byte{}, v["-T2 blocks"]...), 0, 0, 0, 0)
	v["two streams, padding"] = append(two, v["-T1 blocks (no sizes)"]...)
	v["empty stream"] = toolCompress(t, nil, "xz", "-T2", "-c")
	return v
}

func TestDecompressorWorkers_xzSameAsSequential(t *testing.T) {
	data := diskLike(t, 3<<20)
	for name, z := range xzVariants(t, data) {
		want, err := decodeAll(t, "xz", z, 1)
		if err != nil {
			t.Fatalf("%s: sequential: %v", name, err)
		}
		for workers := 2; workers <= 4; workers++ {
			got, err := decodeAll(t, "xz", z, workers)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s, %d workers: %d bytes (want %d), %v", name, workers, len(got), len(want), err)
			}
		}
	}
}

// A stream cut anywhere is an error, and what came out before is a prefix of the data; a
// cut inside a block says the data ended early, as the pipeline needs.
func TestDecompressorWorkers_truncated(t *testing.T) {
	data := diskLike(t, 2<<20)
	files := map[string][]byte{
		"bzip2": toolCompress(t, data, "bzip2", "-1", "-c"),
		"xz":    toolCompress(t, data, "xz", "-T2", "--block-size=150000", "-c"),
	}
	r := rand.New(rand.NewPCG(3, 4))
	for format, z := range files {
		for i := range 40 {
			cut := r.IntN(len(z)-1) + 1
			if i == 0 {
				cut = len(z) - 1
			}
			for _, workers := range []int{2, 3} {
				got, err := decodeAll(t, format, z[:cut], workers)
				if err == nil {
					t.Fatalf("%s cut at %d of %d, %d workers: no error", format, cut, len(z), workers)
				}
				if !bytes.HasPrefix(data, got) {
					t.Fatalf("%s cut at %d, %d workers: the output is not a prefix of the data", format, cut, workers)
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%s cut at %d of %d, %d workers: %v does not wrap io.ErrUnexpectedEOF", format, cut, len(z), workers, err)
				}
			}
		}
	}
}

// A corrupted byte never yields other data without an error, and is an error wherever the
// sequential decoder finds one.
func TestDecompressorWorkers_corrupted(t *testing.T) {
	data := diskLike(t, 2<<20)
	files := map[string][]byte{
		"bzip2":  toolCompress(t, data, "bzip2", "-1", "-c"),
		"pbzip2": append(toolCompress(t, data[:1<<20], "bzip2", "-1", "-c"), toolCompress(t, data[1<<20:], "bzip2", "-1", "-c")...),
		"xz":     toolCompress(t, data, "xz", "-T2", "--block-size=150000", "-c"),
	}
	r := rand.New(rand.NewPCG(5, 6))
	for name, z := range files {
		format := strings.TrimPrefix(name, "p")
		for range 40 {
			bad := append([]byte{}, z...)
			pos := 4 + r.IntN(len(z)-4)
			bad[pos] ^= byte(1 + r.IntN(255))
			_, seqErr := decodeAll(t, format, bad, 1)
			for _, workers := range []int{2, 4} {
				got, err := decodeAll(t, format, bad, workers)
				if err == nil && !bytes.Equal(got, data) {
					t.Fatalf("%s byte %d corrupted, %d workers: other data and no error", name, pos, workers)
				}
				if seqErr != nil && err == nil {
					t.Fatalf("%s byte %d corrupted, %d workers: no error where the sequential decoder has %v", name, pos, workers, seqErr)
				}
			}
		}
	}
}

// A bzip2 magic found by chance inside a block's compressed bits (planted here through the
// scanner's test hook, as real ones are 1 in 2^48 bit positions) costs a re-decode, not
// the output: inside blocks, several in a row, in a stream's CRC and next header.
func TestDecompressorWorkers_bzip2FalseMagic(t *testing.T) {
	data := diskLike(t, 2<<20)
	one := toolCompress(t, data[:1<<20], "bzip2", "-1", "-c")
	z := append(append([]byte{}, one...), toolCompress(t, data[1<<20:], "bzip2", "-1", "-c")...)
	// The real candidates, to plant false ones between them.
	var magics []int64
	for b := int64(0); b+48 <= int64(len(z))*8; b++ {
		if m := bitsAt(z, int(b), 48); m == bzBlockMagic || m == bzEndMagic {
			magics = append(magics, b)
		}
	}
	if len(magics) < 6 {
		t.Fatalf("only %d blocks", len(magics))
	}
	r := rand.New(rand.NewPCG(7, 8))
	footer := int64(len(one))*8 - 80 - 7 // around the first stream's end
	for range 6 {
		plant := map[int64]bool{}
		for range 1 + r.IntN(5) {
			i := r.IntN(len(magics) - 1)
			plant[magics[i]+100+r.Int64N(magics[i+1]-magics[i]-100)] = true
		}
		for i := range int64(10) {
			plant[footer+r.Int64N(110)+i] = true
		}
		plant[magics[2]+48] = true // right after a magic: in the block CRC
		for _, workers := range []int{1, 2, 3} {
			d := newParallelBzip2(bytes.NewReader(z), max(workers, 2))
			d.testCandidates = maps.Clone(plant)
			d.start()
			got, err := io.ReadAll(d)
			_ = d.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("false magics at %v, %d workers: %d bytes, %v", slices.Sorted(maps.Keys(plant)), workers, len(got), err)
			}
		}
	}
}

// A block header may claim any size: one beyond the budget is streamed, never allocated,
// and the lie is a data error.
func TestDecompressorWorkers_xzHugeClaimedBlock(t *testing.T) {
	data := diskLike(t, 1<<20)
	z := toolCompress(t, data, "xz", "-T2", "--block-size=300000", "-c")
	old := z[12 : 12+(int(z[12])+1)*4]
	blk, err := parseXZBlockHeader(old)
	if err != nil || blk.compressed < 0 {
		t.Fatalf("%+v %v", blk, err)
	}
	i := bytes.Index(old, []byte{0x21, 0x01}) // the LZMA2 filter and its one property byte
	if i < 0 {
		t.Fatal("no LZMA2 filter in the block header")
	}
	dictByte := old[i+2]
	for name, sizes := range map[string][2]uint64{
		"huge":              {1 << 50, 1 << 50},
		"within the budget": {uint64(blk.compressed) + 40<<20, 1 << 20},
	} {
		hdr := []byte{0, 0xc0}
		hdr = appendVLI(appendVLI(hdr, sizes[0]), sizes[1])
		hdr = append(hdr, 0x21, 0x01, dictByte)
		for (len(hdr)+4)%4 != 0 {
			hdr = append(hdr, 0)
		}
		hdr[0] = byte((len(hdr)+4)/4 - 1)
		hdr = binary.LittleEndian.AppendUint32(hdr, crc32.ChecksumIEEE(hdr))
		bad := append(append(append([]byte{}, z[:12]...), hdr...), z[12+len(old):]...)
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := decodeAll(t, "xz", bad, 3)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if err == nil || !bytes.HasPrefix(data, got) {
			t.Fatalf("%s: %d bytes, err %v", name, len(got), err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 96<<20 {
			t.Fatalf("%s: %d MiB allocated", name, alloc>>20)
		}
	}
}

func appendVLI(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Through the parallel decoder, a dictionary above the limit is the same *DecompressLimitError.
func TestDecompressorWorkers_xzDictionaryLimit(t *testing.T) {
	data := diskLike(t, 1<<20)
	z := toolCompress(t, data, "xz", "-T2", "--block-size=300000", "-c")
	i := bytes.Index(z[12:], []byte{0x21, 0x01}) + 12
	hdrLen := (int(z[12]) + 1) * 4
	z[i+2] = 40 // 4 GiB
	binary.LittleEndian.PutUint32(z[12+hdrLen-4:], crc32.ChecksumIEEE(z[12:12+hdrLen-4]))
	_, err := decodeAll(t, "xz", z, 2)
	if !IsDecompressLimit(err) {
		t.Fatalf("want a *DecompressLimitError, got %v", err)
	}
}

// slowReader reads a few bytes at a time, so every worker runs ahead of it.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 4096)]) }

// The blocks in flight never exceed the workers nor the budget, however far ahead of the
// reader the workers could run; all of them do run at once.
func TestDecompressorWorkers_memoryBound(t *testing.T) {
	data := diskLike(t, 6<<20)
	for _, tc := range []struct {
		format string
		z      []byte
	}{
		{"bzip2", toolCompress(t, data, "bzip2", "-1", "-c")},
		{"xz", toolCompress(t, data, "xz", "-T2", "--block-size=400000", "-c")},
	} {
		for _, workers := range []int{2, 4} {
			rc, err := decompressorWorkers(tc.format, bytes.NewReader(tc.z), workers)
			if err != nil {
				t.Fatal(err)
			}
			o := orderedOf(rc)
			if o == nil {
				t.Fatalf("%s with %d workers: a %T", tc.format, workers, rc)
			}
			limits := o.limits
			got, err := io.ReadAll(slowReader{rc})
			_ = rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: %d bytes, %v", tc.format, len(got), err)
			}
			if limits.peakSlots != workers || limits.peakBytes > limits.budget {
				t.Fatalf("%s, %d workers: %d blocks at once, %d of %d bytes", tc.format, workers, limits.peakSlots, limits.peakBytes, limits.budget)
			}
		}
	}
}

// Closing a decoder half-way stops its goroutines.
func TestDecompressorWorkers_closeHalfway(t *testing.T) {
	data := diskLike(t, 4<<20)
	before := runtime.NumGoroutine()
	for format, z := range map[string][]byte{
		"bzip2": toolCompress(t, data, "bzip2", "-1", "-c"),
		"xz":    toolCompress(t, data, "xz", "-T2", "--block-size=300000", "-c"),
	} {
		rc, err := decompressorWorkers(format, bytes.NewReader(z), 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rc, make([]byte, 700000)); err != nil {
			t.Fatal(err)
		}
		_ = rc.Close()
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
}

// Through the pipeline the parallel decoders fail the way the sequential ones do: a cut
// stream "ended early", a dictionary above the limit is a permanent error.
func TestHashSource_parallelDecoders(t *testing.T) {
	saved := decodeWorkers
	decodeWorkers = func() int { return 3 }
	t.Cleanup(func() { decodeWorkers = saved })
	data := diskLike(t, 2<<20)
	for _, format := range []string{"bzip2", "xz"} {
		z := toolCompress(t, data, "bzip2", "-1", "-c")
		if format == "xz" {
			z = toolCompress(t, data, "xz", "-T2", "--block-size=300000", "-c")
		}
		res, err := HashSource(context.Background(), memSource(z), format, []string{"sha512"})
		if err != nil || res.Digests["sha512"] != sha512Hex(data) {
			t.Fatalf("%s: %v %v", format, res, err)
		}
		_, err = HashSource(context.Background(), memSource(z[:len(z)/2]), format, []string{"sha512"})
		if err == nil || !strings.Contains(err.Error(), "ended early") || retryableTransferError(err) {
			t.Fatalf("%s cut: %v", format, err)
		}
	}
}

// One parallel decoder per process: a second decompression at the same time is sequential,
// and Close hands the turn on.
func TestDecompressor_oneParallelAtATime(t *testing.T) {
	saved := decodeWorkers
	decodeWorkers = func() int { return 3 }
	t.Cleanup(func() { decodeWorkers = saved })
	z := toolCompress(t, diskLike(t, 1<<20), "bzip2", "-1", "-c")
	first, err := decompressor("bzip2", bytes.NewReader(z))
	if err != nil || orderedOf(first) == nil {
		t.Fatalf("the first decoder is a %T (%v), want the parallel one", first, err)
	}
	second, err := decompressor("auto", bytes.NewReader(z))
	if err != nil || orderedOf(second) != nil {
		t.Fatalf("the second decoder is a %T (%v), want a sequential one", second, err)
	}
	gz, err := decompressor("gzip", bytes.NewReader(compressed(t, "gzip", []byte("x"))))
	if err != nil {
		t.Fatal(err)
	}
	_ = gz.Close()
	_ = second.Close()
	_ = first.Close()
	third, err := decompressor("bzip2", bytes.NewReader(z))
	if err != nil || orderedOf(third) == nil {
		t.Fatalf("after Close the next decoder is a %T (%v), want the parallel one", third, err)
	}
	_ = third.Close()
}

// Single-threaded xz files (no sizes in the first block header: xz's default) keep the
// sequential decoder; multi-threaded ones get the parallel one.
func TestDecompressorWorkers_xzSingleThreadedFilesSequential(t *testing.T) {
	data := diskLike(t, 1<<20)
	for args, parallel := range map[string]bool{"-T1": false, "-T2": true} {
		rc, err := decompressorWorkers("xz", bytes.NewReader(toolCompress(t, data, "xz", args, "--block-size=300000", "-c")), 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := orderedOf(rc) != nil; got != parallel {
			t.Errorf("xz %s: parallel %v, want %v", args, got, parallel)
		}
		_ = rc.Close()
	}
}

func TestBitsAt_offsets(t *testing.T) {
	b := []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0xff, 0x00}
	for _, tc := range []struct {
		pos, n int
		want   uint64
	}{
		{0, 48, bzBlockMagic},
		{0, 8, 0x31},
		{4, 8, 0x14},
		{7, 3, 0b101},
		{48, 8, 0xff},
		{44, 12, 0x9ff},
		{1, 56, (bzBlockMagic<<8 | 0xff) << 1 & (1<<56 - 1)},
	} {
		if got := bitsAt(b, tc.pos, tc.n); got != tc.want {
			t.Errorf("bitsAt(%d, %d) = %#x, want %#x", tc.pos, tc.n, got, tc.want)
		}
	}
}

// A block cut out at any bit offset repacks to the stream the tool wrote for it alone.
func TestBzSegmentRepack_anyOffset(t *testing.T) {
	z := toolCompress(t, []byte("a small block of text, repacked at every bit offset"), "bzip2", "-9", "-c")
	footer := len(z)*8 - 80 // the footer is followed by 0-7 bits of padding
	for bitsAt(z, footer, 48) != bzEndMagic {
		if footer--; footer < len(z)*8-87 {
			t.Fatal("no footer")
		}
	}
	for shift := range 8 {
		// The block's bits (from bit 32 to the footer) moved by shift bits.
		raw := make([]byte, len(z)+1)
		for i := 32; i < footer; i++ {
			if bitsAt(z, i, 1) == 1 {
				raw[(i-32+shift)/8] |= 0x80 >> ((i - 32 + shift) % 8)
			}
		}
		seg := &bzSegment{raw: raw, start: shift, end: shift + footer - 32, level: '9'}
		got := seg.repack(nil)
		if !bytes.Equal(got, z[:len(got)]) || len(got) != len(z) {
			t.Fatalf("shift %d: repacked %x, want %x", shift, got, z)
		}
	}
}
