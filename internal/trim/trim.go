// Package trim owns the kernel's resident memory that is not its own
// data: the pages of its executable that only start-up touched.
//
// The kernel links the whole standard library, so that %%host cells can
// import any of it, and Go runs the init function of every package linked
// in before main: some 150 of them, spread through 10 MB of code and 8 MB
// of read-only data (most of it the function tables that tracebacks and
// stack growth read). Linux maps the file pages around each page touched,
// 64 KB at a time, so start-up leaves most of the executable resident
// although a session then uses a fraction of it. Executable asks Linux to
// reclaim the executable's read-only mappings once start-up is over
// (madvise MADV_PAGEOUT); what a cell needs later faults back in, from the
// page cache while the pages are still there.
//
// Linux leaves alone the pages another process maps too (a second kernel
// of the same executable), those of a file on a tmpfs when there is no
// swap, and, from 6.16 on, the large folios in which ext4 keeps a file
// that was just written with write(2) (a copy); a file read from the
// disk, or written by Go's linker, is released.
package trim
