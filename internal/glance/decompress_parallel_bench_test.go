package glance

import (
	"bufio"
	"io"
	"os"
	"testing"
)

func BenchmarkParallelFile(b *testing.B) {
	f := os.Getenv("PAR_FILE")
	mode := os.Getenv("PAR_MODE")
	if f == "" {
		b.Skip()
	}
	for _, w := range []int{1, 2, 3} {
		b.Run(string(rune('0'+w)), func(b *testing.B) {
			for range b.N {
				fh, _ := os.Open(f)
				d, err := decompressorWorkers(mode, bufio.NewReaderSize(fh, 256<<10), w)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{d}, make([]byte, chunkSize))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(n)
				_ = d.Close()
				_ = fh.Close()
			}
		})
	}
}
