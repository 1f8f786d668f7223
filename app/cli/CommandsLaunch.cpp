// mlad launch: starts the local ranks of a data-parallel command the way torchrun does
// (core/mlad/train/Distributed.h): one process per rank, each with MASTER_ADDR, MASTER_PORT,
// WORLD_SIZE, RANK, LOCAL_RANK and LOCAL_WORLD_SIZE set, running `mlad COMMAND...`. When a rank
// fails the others are given time to notice and end with their own message, then stopped.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "Commands.h"
#include "mlad/util/FreePort.h"

namespace mlad::cli {

namespace {

volatile sig_atomic_t gStopSignal = 0;
extern "C" void onStopSignal(int sig) {
    gStopSignal = sig;
}

std::string describeStatus(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    return "ended";
}

struct Rank {
    pid_t pid = -1;
    int rank = 0;
    bool running = true;
    int status = 0;
};

// Reaps every rank that has ended; returns the first failure seen (index) or -1.
int reap(std::vector<Rank>& ranks, bool block) {
    int failed = -1;
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, block ? 0 : WNOHANG);
        if (pid <= 0) break;
        for (size_t i = 0; i < ranks.size(); ++i) {
            if (ranks[i].pid != pid) continue;
            ranks[i].running = false;
            ranks[i].status = status;
            const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (!ok && failed < 0) failed = int(i);
        }
        block = false;
    }
    return failed;
}

bool anyRunning(const std::vector<Rank>& ranks) {
    for (const auto& r : ranks)
        if (r.running) return true;
    return false;
}

void signalAll(const std::vector<Rank>& ranks, int sig) {
    for (const auto& r : ranks)
        if (r.running) ::kill(r.pid, sig);
}

// Waits until no rank runs or `seconds` have passed.
void waitAll(std::vector<Rank>& ranks, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (anyRunning(ranks) && std::chrono::steady_clock::now() < end) {
        reap(ranks, false);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace

void addLaunchCommand(Cli& cli) {
    struct O {
        int nproc = 1, nnodes = 1, nodeRank = 0, port = 0, grace = 30;
        std::string addr;
        std::vector<std::string> command;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("launch", [o]() -> int {
        if (o->command.empty()) throw UsageError("give the command after --, e.g. -- train ...");
        if (o->nodeRank >= o->nnodes)
            throw UsageError("--node-rank " + std::to_string(o->nodeRank) +
                             " must be below --nnodes " + std::to_string(o->nnodes));
        if (o->nnodes > 1 && o->addr.empty())
            throw UsageError(
                "--nnodes " + std::to_string(o->nnodes) +
                " needs --master-addr (the address of node 0, reachable from every node)");
        const std::string addr = o->addr.empty() ? "127.0.0.1" : o->addr;
        int port = o->port;
        if (port == 0) port = o->nnodes == 1 ? freeLoopbackPort() : 29500;
        const int world = o->nproc * o->nnodes;

        std::vector<std::string> args = {"mlad"};
        args.insert(args.end(), o->command.begin(), o->command.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);

        struct sigaction sa {};
        sa.sa_handler = onStopSignal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);

        std::cerr << "mlad launch: " << o->nproc << " rank" << (o->nproc == 1 ? "" : "s")
                  << " on this node (node " << o->nodeRank << " of " << o->nnodes << ", world size "
                  << world << "), rendezvous at " << addr << ":" << port << "\n";
        std::vector<Rank> ranks;
        for (int local = 0; local < o->nproc; ++local) {
            const int rank = o->nodeRank * o->nproc + local;
            const pid_t pid = ::fork();
            if (pid < 0) {
                std::cerr << "mlad launch: cannot start rank " << rank << ": " << strerror(errno)
                          << "\n";
                signalAll(ranks, SIGTERM);
                waitAll(ranks, 10);
                signalAll(ranks, SIGKILL);
                reap(ranks, true);
                return 2;
            }
            if (pid == 0) {
                ::setenv("MASTER_ADDR", addr.c_str(), 1);
                ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
                ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
                ::setenv("RANK", std::to_string(rank).c_str(), 1);
                ::setenv("LOCAL_RANK", std::to_string(local).c_str(), 1);
                ::setenv("LOCAL_WORLD_SIZE", std::to_string(o->nproc).c_str(), 1);
                // CPU ranks share the machine's cores: one thread each unless told otherwise
                // (--threads, or OMP_NUM_THREADS set by the caller).
                ::setenv("OMP_NUM_THREADS", "1", 0);
                ::execv("/proc/self/exe", argv.data());
                std::cerr << "mlad launch: cannot run /proc/self/exe: " << strerror(errno) << "\n";
                ::_exit(127);
            }
            ranks.push_back({pid, rank, true, 0});
        }

        int failed = -1;
        while (anyRunning(ranks)) {
            if (gStopSignal != 0) {
                std::cerr << "mlad launch: " << strsignal(gStopSignal) << ": stopping the ranks\n";
                signalAll(ranks, gStopSignal);
                waitAll(ranks, o->grace);
                signalAll(ranks, SIGKILL);
                reap(ranks, true);
                return 130;
            }
            const int f = reap(ranks, false);
            if (f >= 0) {
                failed = f;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (failed >= 0) {
            std::cerr << "mlad launch: rank " << ranks[size_t(failed)].rank << " (process "
                      << ranks[size_t(failed)].pid << ") "
                      << describeStatus(ranks[size_t(failed)].status) << "; waiting up to "
                      << o->grace << " s for the other ranks to stop\n";
            waitAll(ranks, o->grace);
            if (anyRunning(ranks)) {
                std::cerr << "mlad launch: stopping the ranks that are still running\n";
                signalAll(ranks, SIGTERM);
                waitAll(ranks, 10);
                signalAll(ranks, SIGKILL);
                reap(ranks, true);
            }
            const int st = ranks[size_t(failed)].status;
            return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : 2;
        }
        return 0;
    });
    s->footer(
        "Runs COMMAND (e.g. train ...) as --nproc-per-node ranks of one data-parallel job, with\n"
        "torchrun's variables set (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK);\n"
        "--batch-size is per rank. On several machines start it on each with the same\n"
        "--nnodes, --master-addr and --master-port and its own --node-rank; the project must be\n"
        "on a file system every machine reads. CPU ranks get OMP_NUM_THREADS=1 unless it is set.\n"
        "A rank that stops answering ends the run on every rank after MLAD_DIST_TIMEOUT seconds\n"
        "(default 300). Example:\n"
        "  mlad launch --nproc-per-node 2 -- train --project p.mlad --split s --batch-size 256");
    s->add_option("--nproc-per-node", o->nproc, "ranks on this machine")
        ->check(intRange(1, 1024))
        ->required();
    s->add_option("--nnodes", o->nnodes, "machines taking part")->check(intRange(1, 1024));
    s->add_option("--node-rank", o->nodeRank, "this machine's number, 0 .. nnodes-1")
        ->check(intRange(0, 1023));
    s->add_option("--master-addr", o->addr,
                  "address of node 0 (default 127.0.0.1; required with --nnodes > 1)");
    s->add_option("--master-port", o->port,
                  "rendezvous port on node 0 (default: a free port on one machine, else 29500)")
        ->check(intRange(1, 65535));
    s->add_option("--grace", o->grace,
                  "seconds the other ranks get to stop on their own after one fails")
        ->check(intRange(0, 86400));
    s->add_option("command", o->command, "the mlad command and its options, after --")->required();
}

}  // namespace mlad::cli
