#include "mlad/io/LineReader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace mlad {

namespace {
// zlib names the stream after the descriptor it was opened on ("<fd:7>: ..."): the file's own
// name is already in the message, so that prefix goes.
std::string gzMessage(const char* msg, const char* fallback) {
    std::string m = msg && *msg ? msg : fallback;
    if (m.rfind("<fd:", 0) == 0) {
        const size_t end = m.find(">: ");
        if (end != std::string::npos) m.erase(0, end + 3);
    }
    return m;
}
}  // namespace

LineReader::LineReader(const std::string& path) : LineReader(path, Options{}) {}

LineReader::LineReader(const std::string& path, Options opt) : path_(path), opt_(opt) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd_);
        throw InputError(path, 0, "not a regular file");
    }
    fileSize_ = uint64_t(st.st_size);
    try {
        openStream();
    } catch (...) {
        // The destructor does not run for a constructor that throws (found by fuzzing: a gzip
        // stream that fails on its first block leaked zlib's state and both descriptors).
        if (gz_) gzclose(static_cast<gzFile>(gz_));
        if (fd_ >= 0) ::close(fd_);
        gz_ = nullptr;
        fd_ = -1;
        throw;
    }
}

void LineReader::openStream() {
    const std::string& path = path_;
    unsigned char magic[2] = {0, 0};
    ssize_t got = ::pread(fd_, magic, 2, 0);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        int dupFd = ::dup(fd_);
        gz_ = gzdopen(dupFd, "rb");
        if (!gz_) {
            ::close(dupFd);
            throw InputError(path, 0, "cannot open gzip stream");
        }
        gzbuffer(static_cast<gzFile>(gz_), 1 << 18);
    }
    buf_.resize(opt_.blockBytes + opt_.maxLineBytes + 1);
    fill();
    // Refuse binary files up front instead of importing garbage. A stray NUL in a text log is
    // handled per line by the importer; many NULs or control bytes mean this is not text.
    size_t probe = std::min<size_t>(end_ - begin_, 8192);
    size_t nul = 0, control = 0;
    for (size_t i = 0; i < probe; ++i) {
        auto c = static_cast<unsigned char>(buf_[begin_ + i]);
        if (c == 0)
            ++nul;
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' &&
                 c != 0x1b)
            ++control;
    }
    if (probe > 0 && (nul * 100 > probe || (nul > 0 && (nul + control) * 20 > probe))) {
        throw InputError(path, 1,
                         "binary data (NUL and control bytes in the first 8 KiB): not a text log");
    }
}

LineReader::~LineReader() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
    if (fd_ >= 0) ::close(fd_);
}

uint64_t LineReader::bytesRead() const {
    if (gz_) {
        long off = gzoffset(static_cast<gzFile>(gz_));
        return off < 0 ? 0 : uint64_t(off);
    }
    return rawRead_;
}

size_t LineReader::fill() {
    if (eof_) return 0;
    // Move the unconsumed tail to the front so a block always fits.
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    size_t room = buf_.size() - end_;
    size_t want = std::min(room, opt_.blockBytes);
    if (want == 0) return 0;
    if (gz_) {
        auto* g = static_cast<gzFile>(gz_);
        int n = gzread(g, buf_.data() + end_, unsigned(want));
        if (n < 0) {
            int err = 0;
            const char* msg = gzerror(g, &err);
            throw InputError(path_, lineNo_ + 1, "gzip error: " + gzMessage(msg, "?"));
        }
        if (n == 0) {
            int err = 0;
            const char* msg = gzerror(g, &err);
            if (err == Z_BUF_ERROR || (err != Z_OK && err != Z_STREAM_END))
                throw InputError(path_, lineNo_ + 1,
                                 "truncated or corrupt gzip stream (" +
                                     gzMessage(msg, "unexpected end of file") + ")");
            eof_ = true;
        }
        end_ += size_t(n);
        return size_t(n);
    }
    ssize_t n;
    do {
        n = ::read(fd_, buf_.data() + end_, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        throw InputError(path_, lineNo_ + 1, std::string("read error: ") + std::strerror(errno));
    if (n == 0) {
        eof_ = true;
        if (rawRead_ < fileSize_)
            throw InputError(path_, lineNo_ + 1,
                             "the file shrank or disappeared while it was being read (read " +
                                 std::to_string(rawRead_) + " of " + std::to_string(fileSize_) +
                                 " bytes)");
    }
    rawRead_ += uint64_t(n);
    end_ += size_t(n);
    return size_t(n);
}

LineReader::Status LineReader::next(std::string_view& line) {
    size_t scan = begin_;
    while (true) {
        const char* base = buf_.data();
        const void* nl = std::memchr(base + scan, '\n', end_ - scan);
        if (nl != nullptr) {
            size_t pos = size_t(static_cast<const char*>(nl) - base);
            ++lineNo_;
            if (skipping_) {
                skippedLen_ += pos - begin_;
                skipping_ = false;
                begin_ = pos + 1;
                line = {};
                return Status::TooLong;
            }
            size_t len = pos - begin_;
            if (len > 0 && base[pos - 1] == '\r') --len;
            line = std::string_view(base + begin_, len);
            begin_ = pos + 1;
            if (len > opt_.maxLineBytes) {
                skippedLen_ = len;
                line = {};
                return Status::TooLong;
            }
            return Status::Line;
        }
        if (skipping_) {  // drop what we have of the oversized line and keep reading
            skippedLen_ += end_ - begin_;
            begin_ = end_ = 0;
        } else if (end_ - begin_ > opt_.maxLineBytes) {
            skipping_ = true;
            skippedLen_ = end_ - begin_;
            begin_ = end_ = 0;
        }
        size_t before = end_ - begin_;
        if (fill() == 0 && eof_) {
            if (skipping_) {
                ++lineNo_;
                skipping_ = false;
                line = {};
                return Status::TooLong;
            }
            if (end_ > begin_) {  // last line without a newline
                ++lineNo_;
                size_t len = end_ - begin_;
                if (buf_[end_ - 1] == '\r') --len;
                line = std::string_view(buf_.data() + begin_, len);
                begin_ = end_;
                if (len > opt_.maxLineBytes) {
                    skippedLen_ = len;
                    line = {};
                    return Status::TooLong;
                }
                return Status::Line;
            }
            return Status::End;
        }
        scan = begin_ + before;  // fill() moved the data to the front
    }
}

}  // namespace mlad
