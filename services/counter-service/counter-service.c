/*
 * counter-service: a tiny HTTP/1.1 counter server.
 *
 *   GET /get_and_increment_counter  -> 200 text/plain "<n>" (1-based: first call returns 1)
 *   GET /health                     -> 200 text/plain "ok"
 *   other methods on those paths    -> 405 (Allow: GET)
 *   unknown paths                   -> 404
 *   malformed requests              -> 400, then the connection is closed
 *
 * Design: one thread, one poll() loop, non-blocking sockets.  Because every
 * request is handled to completion on that single thread, the counter is
 * trivially atomic with respect to requests (no two requests can observe the
 * same value).  Keep-alive and pipelining are supported; HTTP/1.1 keeps the
 * connection open unless "Connection: close", HTTP/1.0 closes unless
 * "Connection: keep-alive".  SIGTERM/SIGINT are delivered through a self-pipe
 * and cause a clean exit with status 0.
 *
 * Usage: counter-service [PORT [BIND_ADDRESS]]
 *   PORT defaults to $PORT, then 8080 (0 = pick a free ephemeral port; the
 *   chosen port is printed in the start-up log line).  BIND_ADDRESS defaults
 *   to 0.0.0.0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER        8192      /* request line + headers, bytes */
#define MAX_CONNS         4096      /* simultaneous client connections */
#define MAX_BODY          (1u << 20) /* request bodies are discarded, up to this size */
#define IDLE_TIMEOUT_MS   30000     /* close connections without progress */
#define LINGER_TIMEOUT_MS 2000      /* time to drain input after a final response */
#define NFIXED            2         /* pollfd slots: listener, signal pipe */

struct conn {
    int fd;
    char in[MAX_HEADER];
    size_t in_len;
    char *out;
    size_t out_len, out_off, out_cap;
    unsigned long body_skip;   /* request body bytes still to discard */
    int close_after;           /* close once all output is flushed */
    int lingering;             /* write side shut down; discarding input until EOF */
    int peer_eof;              /* peer half-closed its side */
    long long deadline;        /* monotonic ms */
};

static struct pollfd *pfds;
static struct conn **conns;     /* conns[i] belongs to pfds[i], i >= NFIXED */
static size_t nfds, cap_fds;
static unsigned long long counter;
static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_signal;

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("counter-service: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    int saved = errno;
    got_signal = sig;
    if (sig_pipe[1] >= 0) {
        char b = 1;
        ssize_t r = write(sig_pipe[1], &b, 1);
        (void)r;
    }
    errno = saved;
}

/* ---------------------------------------------------------------- output */

static int out_append(struct conn *c, const char *data, size_t len)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + len > c->out_cap) {
        size_t ncap = c->out_cap ? c->out_cap : 512;
        while (ncap < c->out_len + len)
            ncap *= 2;
        char *n = realloc(c->out, ncap);
        if (!n)
            return -1;
        c->out = n;
        c->out_cap = ncap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default:  return "Internal Server Error";
    }
}

/* keep_alive: 1 = keep open, 0 = close afterwards. http10: client spoke HTTP/1.0 */
static void respond(struct conn *c, int status, const char *body, int keep_alive, int http10)
{
    char head[512];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "%s"
                     "%s"
                     "\r\n",
                     status, reason(status), blen,
                     status == 405 ? "Allow: GET\r\n" : "",
                     !keep_alive ? "Connection: close\r\n"
                                 : (http10 ? "Connection: keep-alive\r\n" : ""));
    if (n < 0 || (size_t)n >= sizeof head || out_append(c, head, (size_t)n) < 0 ||
        out_append(c, body, blen) < 0) {
        c->close_after = 1;
        c->out_len = c->out_off = 0;  /* out of memory: just drop the connection */
        c->lingering = 1;
        return;
    }
    if (!keep_alive)
        c->close_after = 1;
}

/* ---------------------------------------------------------------- parsing */

enum { P_NEED_MORE, P_OK, P_BAD };

struct request {
    char method[16];
    char path[MAX_HEADER];
    int http10;
    int keep_alive;
    unsigned long content_length;
};

static int is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int is_vchar(unsigned char ch) { return ch > 0x20 && ch < 0x7f; }

/* Does the comma-separated header value contain token tok (case-insensitive)? */
static int has_token(const char *v, size_t vlen, const char *tok)
{
    size_t tlen = strlen(tok), i = 0;
    while (i < vlen) {
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < vlen && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tlen && strncasecmp(v + s, tok, tlen) == 0)
            return 1;
    }
    return 0;
}

/* Validate the request line [p, p+len) (no CR/LF) and fill method/path/version. */
static int parse_request_line(const char *p, size_t len, struct request *r)
{
    const char *end = p + len;
    const char *sp1 = memchr(p, ' ', len);
    if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof r->method)
        return P_BAD;
    for (const char *q = p; q < sp1; q++)
        if (!is_tchar((unsigned char)*q))
            return P_BAD;
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (!sp2 || sp2 == t)  /* missing target or missing HTTP version */
        return P_BAD;
    for (const char *q = t; q < sp2; q++)
        if (!is_vchar((unsigned char)*q))
            return P_BAD;
    const char *v = sp2 + 1;
    size_t vlen = (size_t)(end - v);
    if (vlen == 8 && memcmp(v, "HTTP/1.1", 8) == 0)
        r->http10 = 0;
    else if (vlen == 8 && memcmp(v, "HTTP/1.0", 8) == 0)
        r->http10 = 1;
    else
        return P_BAD;

    memcpy(r->method, p, (size_t)(sp1 - p));
    r->method[sp1 - p] = '\0';

    /* origin-form "/path?query" or absolute-form "http://host/path" */
    size_t tlen = (size_t)(sp2 - t);
    const char *path = t;
    if (tlen >= 7 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
        const char *h = t + (t[4] == ':' ? 7 : 8);
        path = memchr(h, '/', (size_t)(sp2 - h));
        if (!path) {
            path = "/";
            tlen = 1;
        } else {
            tlen = (size_t)(sp2 - path);
        }
    } else if (*t != '/') {
        return P_BAD;
    }
    size_t plen = 0;
    while (plen < tlen && path[plen] != '?' && path[plen] != '#')
        plen++;
    memcpy(r->path, path, plen);
    r->path[plen] = '\0';
    return P_OK;
}

/*
 * Try to parse one complete request head from c->in.  On P_OK, *consumed is
 * the number of bytes of the head (the body, if any, is r->content_length).
 */
static int parse_request(struct conn *c, struct request *r, size_t *consumed)
{
    const char *buf = c->in;
    size_t len = c->in_len, pos = 0;

    /* RFC 9112 2.2: ignore empty lines before the request line */
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
        pos++;
    if (pos == len) {
        *consumed = pos;  /* only blank lines so far */
        return P_NEED_MORE;
    }

    const char *nl = memchr(buf + pos, '\n', len - pos);
    if (!nl) {
        /* incomplete request line: reject obvious binary garbage early */
        for (size_t i = pos; i < len; i++) {
            unsigned char ch = (unsigned char)buf[i];
            if (ch != '\r' && (ch < 0x20 || ch >= 0x7f))
                return P_BAD;
        }
        *consumed = 0;
        return P_NEED_MORE;
    }
    size_t llen = (size_t)(nl - (buf + pos));
    if (llen && buf[pos + llen - 1] == '\r')
        llen--;
    memset(r, 0, sizeof *r);
    if (parse_request_line(buf + pos, llen, r) != P_OK)
        return P_BAD;

    int saw_close = 0, saw_keepalive = 0, saw_cl = 0;
    pos = (size_t)(nl - buf) + 1;
    for (;;) {
        const char *e = memchr(buf + pos, '\n', len - pos);
        if (!e) {
            *consumed = 0;
            return P_NEED_MORE;
        }
        size_t hl = (size_t)(e - (buf + pos));
        const char *h = buf + pos;
        size_t next = (size_t)(e - buf) + 1;
        if (hl && h[hl - 1] == '\r')
            hl--;
        if (hl == 0) {
            pos = next;
            break;  /* end of headers */
        }
        if (h[0] == ' ' || h[0] == '\t')
            return P_BAD;  /* obsolete line folding */
        const char *colon = memchr(h, ':', hl);
        if (!colon || colon == h)
            return P_BAD;
        for (const char *q = h; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return P_BAD;
        size_t nlen = (size_t)(colon - h);
        const char *v = colon + 1;
        size_t vlen = hl - nlen - 1;
        for (size_t i = 0; i < vlen; i++) {
            unsigned char ch = (unsigned char)v[i];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return P_BAD;
        }
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;

        if (nlen == 10 && strncasecmp(h, "Connection", 10) == 0) {
            saw_close |= has_token(v, vlen, "close");
            saw_keepalive |= has_token(v, vlen, "keep-alive");
        } else if (nlen == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
            unsigned long n = 0;
            if (vlen == 0)
                return P_BAD;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return P_BAD;
                n = n * 10 + (unsigned long)(v[i] - '0');
                if (n > MAX_BODY)
                    return P_BAD;
            }
            if (saw_cl && n != r->content_length)
                return P_BAD;
            saw_cl = 1;
            r->content_length = n;
        } else if (nlen == 17 && strncasecmp(h, "Transfer-Encoding", 17) == 0) {
            return P_BAD;  /* chunked request bodies are not supported */
        }
        pos = next;
    }
    r->keep_alive = r->http10 ? (saw_keepalive && !saw_close) : !saw_close;
    *consumed = pos;
    return P_OK;
}

static void handle_request(struct conn *c, const struct request *r)
{
    int is_get = strcmp(r->method, "GET") == 0;
    if (strcmp(r->path, "/get_and_increment_counter") == 0) {
        if (!is_get) {
            respond(c, 405, "method not allowed", r->keep_alive, r->http10);
            return;
        }
        char body[32];
        snprintf(body, sizeof body, "%llu", ++counter);
        respond(c, 200, body, r->keep_alive, r->http10);
    } else if (strcmp(r->path, "/health") == 0) {
        if (!is_get)
            respond(c, 405, "method not allowed", r->keep_alive, r->http10);
        else
            respond(c, 200, "ok", r->keep_alive, r->http10);
    } else {
        respond(c, 404, "not found", r->keep_alive, r->http10);
    }
}

static void consume_input(struct conn *c, size_t n)
{
    if (n >= c->in_len) {
        c->in_len = 0;
    } else {
        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
    }
}

/* Turn buffered input into responses (handles pipelined requests). */
static void process_input(struct conn *c)
{
    while (!c->close_after) {
        if (c->body_skip) {
            size_t n = c->in_len < c->body_skip ? c->in_len : c->body_skip;
            consume_input(c, n);
            c->body_skip -= n;
            if (c->body_skip)
                break;
        }
        struct request r;
        size_t consumed = 0;
        int res = parse_request(c, &r, &consumed);
        if (res == P_BAD) {
            respond(c, 400, "bad request", 0, 0);
            break;
        }
        if (res == P_NEED_MORE) {
            consume_input(c, consumed);  /* drop leading blank lines */
            if (c->in_len == sizeof c->in)
                respond(c, 400, "bad request: request header too large", 0, 0);
            break;
        }
        consume_input(c, consumed);
        c->body_skip = r.content_length;
        handle_request(c, &r);
    }
    if (c->peer_eof && !c->close_after)
        c->close_after = 1;  /* client finished sending; answer what we have and close */
}

/* ------------------------------------------------------------ connections */

static void set_events(size_t i)
{
    struct conn *c = conns[i];
    short ev = 0;
    if (c->out_off < c->out_len)
        ev |= POLLOUT;
    else if (c->lingering || (!c->close_after && !c->peer_eof))
        ev |= POLLIN;  /* backpressure: no new input while output is pending */
    pfds[i].events = ev;
}

static void conn_free(size_t i)
{
    struct conn *c = conns[i];
    close(c->fd);
    free(c->out);
    free(c);
    nfds--;
    if (i != nfds) {
        pfds[i] = pfds[nfds];
        conns[i] = conns[nfds];
    }
}

/* returns -1 on fatal error (caller frees), 0 otherwise */
static int flush_output(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->deadline = now_ms() + IDLE_TIMEOUT_MS;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    c->out_off = c->out_len = 0;
    if (c->close_after && !c->lingering) {
        /* final response sent: half-close, then drain input so the peer
         * gets our response instead of a RST */
        shutdown(c->fd, SHUT_WR);
        c->lingering = 1;
        c->deadline = now_ms() + LINGER_TIMEOUT_MS;
    }
    return 0;
}

/* returns -1 if the connection should be closed */
static int on_readable(struct conn *c)
{
    if (c->lingering) {
        char junk[4096];
        for (;;) {
            ssize_t n = recv(c->fd, junk, sizeof junk, 0);
            if (n > 0)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
            if (n < 0 && errno == EINTR)
                continue;
            return -1;  /* EOF or error: done */
        }
    }
    for (;;) {
        if (c->in_len == sizeof c->in)
            break;
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->deadline = now_ms() + IDLE_TIMEOUT_MS;
        } else if (n == 0) {
            c->peer_eof = 1;
            break;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else if (errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    process_input(c);
    if (c->peer_eof && c->out_off == c->out_len && c->in_len == 0 && !c->lingering)
        return -1;  /* nothing left to say */
    return flush_output(c);
}

static int add_conn(int fd)
{
    if (nfds == cap_fds) {
        size_t ncap = cap_fds * 2;
        struct pollfd *np = realloc(pfds, ncap * sizeof *np);
        if (!np)
            return -1;
        pfds = np;
        struct conn **nc = realloc(conns, ncap * sizeof *nc);
        if (!nc)
            return -1;
        conns = nc;
        cap_fds = ncap;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->fd = fd;
    c->deadline = now_ms() + IDLE_TIMEOUT_MS;
    conns[nfds] = c;
    pfds[nfds].fd = fd;
    pfds[nfds].events = POLLIN;
    pfds[nfds].revents = 0;
    nfds++;
    return 0;
}

/* returns 1 if accept() ran out of descriptors */
static int accept_all(int lfd)
{
    while (nfds - NFIXED < MAX_CONNS) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                return 1;
            return 0;  /* EAGAIN or transient error */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (add_conn(fd) < 0) {
            close(fd);
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ main */

static int parse_port(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    int port = 8080;
    const char *bind_addr = "0.0.0.0";
    const char *port_str = argc > 1 ? argv[1] : getenv("PORT");

    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: %s [PORT [BIND_ADDRESS]]  (PORT defaults to $PORT or 8080)\n", argv[0]);
        return 0;
    }
    if (argc > 3) {
        logmsg("usage: %s [PORT [BIND_ADDRESS]]", argv[0]);
        return 2;
    }
    if (port_str && *port_str && parse_port(port_str, &port) < 0) {
        logmsg("invalid port '%s'", port_str);
        return 2;
    }
    if (argc > 2)
        bind_addr = argv[2];

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        logmsg("invalid bind address '%s'", bind_addr);
        return 2;
    }

    if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        logmsg("pipe: %s", strerror(errno));
        return 1;
    }
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    sigemptyset(&act.sa_mask);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        logmsg("socket: %s", strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        logmsg("bind %s:%d: %s", bind_addr, port, strerror(errno));
        return 1;
    }
    if (listen(lfd, SOMAXCONN) < 0) {
        logmsg("listen: %s", strerror(errno));
        return 1;
    }
    socklen_t slen = sizeof sa;
    if (getsockname(lfd, (struct sockaddr *)&sa, &slen) == 0)
        port = ntohs(sa.sin_port);
    logmsg("listening on %s:%d (pid %d)", bind_addr, port, (int)getpid());

    cap_fds = 64;
    pfds = calloc(cap_fds, sizeof *pfds);
    conns = calloc(cap_fds, sizeof *conns);
    if (!pfds || !conns) {
        logmsg("out of memory");
        return 1;
    }
    pfds[0].fd = lfd;
    pfds[0].events = POLLIN;
    pfds[1].fd = sig_pipe[0];
    pfds[1].events = POLLIN;
    nfds = NFIXED;
    long long accept_paused_until = 0;

    while (!got_signal) {
        long long now = now_ms();
        int timeout = 1000;
        for (size_t i = NFIXED; i < nfds; i++) {
            long long left = conns[i]->deadline - now;
            if (left < timeout)
                timeout = left < 0 ? 0 : (int)left;
        }
        int accepting = nfds - NFIXED < MAX_CONNS && now >= accept_paused_until;
        pfds[0].events = accepting ? POLLIN : 0;
        if (!accepting && accept_paused_until > now && accept_paused_until - now < timeout)
            timeout = (int)(accept_paused_until - now);

        int n = poll(pfds, nfds, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            logmsg("poll: %s", strerror(errno));
            return 1;
        }
        if (got_signal || (pfds[1].revents & POLLIN))
            break;

        now = now_ms();
        /* descending so that conn_free()'s swap-with-last stays correct */
        for (size_t i = nfds; i-- > NFIXED;) {
            struct conn *c = conns[i];
            short re = pfds[i].revents;
            int dead = 0;
            if (re & POLLNVAL) {
                dead = 1;
            } else if (re & (POLLIN | POLLHUP | POLLERR)) {
                if (c->out_off < c->out_len)
                    dead = (re & POLLERR) ? 1 : flush_output(c) < 0;
                else
                    dead = on_readable(c) < 0;
            } else if (re & POLLOUT) {
                dead = flush_output(c) < 0;
                /* output drained: resume with any pipelined input */
                if (!dead && c->out_off == c->out_len && !c->close_after && c->in_len) {
                    process_input(c);
                    dead = flush_output(c) < 0;
                }
            }
            if (!dead && now >= c->deadline)
                dead = 1;  /* idle, stalled, or linger expired */
            if (dead)
                conn_free(i);
            else
                set_events(i);
        }
        if (pfds[0].revents & POLLIN) {
            if (accept_all(lfd))
                accept_paused_until = now_ms() + 100;  /* out of fds: back off briefly */
        }
    }

    logmsg("shutting down (signal %d)", (int)got_signal);
    close(lfd);
    for (size_t i = nfds; i-- > NFIXED;) {
        flush_output(conns[i]);  /* best effort, non-blocking */
        conn_free(i);
    }
    free(pfds);
    free(conns);
    return 0;
}
