package glance

import (
	"errors"
	"io"
	"runtime"
	"sync"
)

// Parallel block decoding (bzip2 and multi-block xz): a dispatcher goroutine reads the
// compressed source in order and cuts it into blocks; each block is decoded on its own
// goroutine (at most `workers` at a time) into a bounded pipe of pieces; the reader drains
// the pipes in block order, so the output is the sequential decoder's, byte for byte.
//
// Memory is bounded by construction, whatever the data claims: a block holds a slot (at most
// `workers` slots) and its cost in bytes of a fixed budget (compressed bytes kept + its
// output pipe) from the moment the dispatcher starts reading it until the reader has drained
// it; a block that would not fit the budget is never buffered whole (xz streams it; bzip2
// blocks are small by the format). The decoders themselves are pooled, one per slot.

// pieceSize is the unit of decoded output a block's goroutine hands to the reader.
const pieceSize = 64 << 10

var piecePool = sync.Pool{New: func() any { b := make([]byte, pieceSize); return &b }}

// errAbandoned stops a block's goroutine when the reader no longer wants its output.
var errAbandoned = errors.New("decoding abandoned")

// defaultDecodeWorkers is how many blocks decode at once when the format allows it: one per
// core the Go scheduler may use beyond the one left to the upload's hashing and sending, up
// to maxDecodeWorkers. With one (a 2-core client), the sequential decoders run: on the 2-core
// reference machine two bzip2 workers used twice the CPU for no gain in speed (lbzip2 -n2 did
// not scale there either), and the memory of a second block in flight is better spent not.
//
// decodeWorkers is a variable so that tests run the parallel decoders through the pipeline.
var decodeWorkers = defaultDecodeWorkers

func defaultDecodeWorkers() int {
	return max(1, min(runtime.GOMAXPROCS(0)-1, maxDecodeWorkers))
}

const maxDecodeWorkers = 4

// blockTask is one block being decoded; its output waits in pieces until the reader takes it.
type blockTask struct {
	pieces    chan *[]byte
	err       error // valid once pieces is closed
	quit      chan struct{}
	quitOnce  sync.Once
	cost      int64 // bytes of the budget it holds (with a slot) until the reader is done
	holds     bool
	forwarded bool // the reader has passed some of its output on
	meta      any  // the format's description of the block
}

func newBlockTask(depth int, cost int64, meta any) *blockTask {
	return &blockTask{pieces: make(chan *[]byte, depth), quit: make(chan struct{}), cost: cost, meta: meta}
}

// emit reads r to its end in pieces and hands them to the reader.
func (t *blockTask) emit(r io.Reader) error {
	for {
		p, _ := piecePool.Get().(*[]byte)
		n, err := readChunk(r, *p)
		if n > 0 {
			b := (*p)[:n]
			select {
			case t.pieces <- &b:
			case <-t.quit:
				piecePool.Put(p)
				return errAbandoned
			}
		} else {
			piecePool.Put(p)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// abandon stops the task's goroutine and frees what waits in its pipe (the reader calls it).
func (t *blockTask) abandon() {
	t.quitOnce.Do(func() { close(t.quit) })
	for p := range t.pieces {
		putPiece(p)
	}
}

func putPiece(p *[]byte) {
	b := (*p)[:pieceSize]
	piecePool.Put(&b)
}

// decodeLimits holds the slots and the byte budget of blocks in flight.
type decodeLimits struct {
	mu     sync.Mutex
	cond   *sync.Cond
	slots  int
	bytes  int64
	closed bool
	// the limits and the most ever taken (for tests)
	maxSlots, peakSlots int
	budget, peakBytes   int64
}

func newDecodeLimits(slots int, budget int64) *decodeLimits {
	l := &decodeLimits{slots: slots, bytes: budget, maxSlots: slots, budget: budget}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// acquire waits for a slot and cost bytes; false once closed.
func (l *decodeLimits) acquire(cost int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.closed && (l.slots == 0 || l.bytes < cost) {
		l.cond.Wait()
	}
	if l.closed {
		return false
	}
	l.slots--
	l.bytes -= cost
	l.peakSlots = max(l.peakSlots, l.maxSlots-l.slots)
	l.peakBytes = max(l.peakBytes, l.budget-l.bytes)
	return true
}

func (l *decodeLimits) release(cost int64) {
	l.mu.Lock()
	l.slots++
	l.bytes += cost
	l.mu.Unlock()
	l.cond.Broadcast()
}

func (l *decodeLimits) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cond.Broadcast()
}

// orderedOutput is the reader's side: it drains the tasks' pipes in order.
type orderedOutput struct {
	tasks  chan *blockTask // in output order, from the dispatcher
	limits *decodeLimits
	cur    *blockTask
	piece  *[]byte
	off    int
	err    error
	// finished is the format's check when a task's output has ended (err is the task's
	// error): it returns the error to report, or nil to go on with the next task. It may
	// replace the current task (bzip2 re-cuts a block after a false magic).
	finished func(t *blockTask) (next *blockTask, err error)
	stop     chan struct{}
	wg       sync.WaitGroup
	closed   sync.Once
	onClose  func() // called once Close has stopped everything
}

// orderedOf is the parallel machinery of a decoder, nil for a sequential one.
func orderedOf(rc io.ReadCloser) *orderedOutput {
	switch d := rc.(type) {
	case *parallelBzip2:
		return d.orderedOutput
	case *parallelXZ:
		return d.orderedOutput
	}
	return nil
}

func newOrderedOutput(workers int, budget int64) *orderedOutput {
	return &orderedOutput{
		tasks:  make(chan *blockTask, workers),
		limits: newDecodeLimits(workers, budget),
		stop:   make(chan struct{}),
	}
}

func (o *orderedOutput) Read(p []byte) (int, error) {
	for {
		if o.piece != nil {
			n := copy(p, (*o.piece)[o.off:])
			o.off += n
			if o.off == len(*o.piece) {
				putPiece(o.piece)
				o.piece = nil
			}
			if n > 0 || len(p) == 0 {
				return n, nil
			}
		}
		if o.err != nil {
			return 0, o.err
		}
		if o.cur == nil {
			t, ok := <-o.tasks
			if !ok {
				o.err = io.EOF
				continue
			}
			o.cur = t
		}
		if piece, ok := <-o.cur.pieces; ok {
			o.piece, o.off = piece, 0
			o.cur.forwarded = true
			continue
		}
		t := o.cur
		o.cur = nil
		next, err := o.finished(t)
		if t.holds {
			o.limits.release(t.cost)
		}
		if err != nil {
			o.err = err
		}
		o.cur = next
	}
}

// Close stops the dispatcher and the blocks' goroutines and waits for them.
func (o *orderedOutput) Close() error {
	o.closed.Do(func() {
		close(o.stop)
		o.limits.close()
		if o.piece != nil {
			putPiece(o.piece)
			o.piece = nil
		}
		if o.cur != nil {
			o.cur.abandon()
		}
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for t := range o.tasks { // the dispatcher closes it when it returns
				t.abandon()
			}
		}()
		o.wg.Wait()
		<-drained
		if o.onClose != nil {
			o.onClose()
		}
	})
	return nil
}

// send queues a task for the reader; false when the reader has gone.
func (o *orderedOutput) send(t *blockTask) bool {
	select {
	case o.tasks <- t:
		return true
	case <-o.stop:
		t.abandon()
		return false
	}
}

// failTask is a task that yields nothing and ends with err (an error found by the
// dispatcher, reported after the blocks before it).
func failTask(err error) *blockTask {
	t := newBlockTask(0, 0, nil)
	t.err = err
	close(t.pieces)
	return t
}
