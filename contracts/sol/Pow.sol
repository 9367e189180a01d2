// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IL2ToL2CrossDomainMessenger} from "./Interop.sol";

/// The proof-of-work search, bit for bit `interplay-pow`'s: preimage = seed + i (256-bit,
/// wrapping), kept when keccak256(preimage) < target. For the seed's work (seed with a zero last
/// byte, i in 0..255) seed + i is exactly seed ‖ i.
library PowSearch {
    uint64 internal constant DEFAULT_START = 0;
    uint64 internal constant DEFAULT_END = 255;
    uint256 internal constant DEFAULT_TARGET = 2 ** 250 - 1;
    /// Largest range one run may ask. Even if every index is a result (target 2^256 - 1), the
    /// worker's run, its report and the report that completes a run of `MAX_CHAINS` chains
    /// (which emits every chain's results) each stay far inside a 30M-gas block.
    uint64 internal constant MAX_RANGE = 1 << 10;
    /// Largest range a search may cover at all: offsets are packed as uint16s.
    uint64 internal constant MAX_SEARCH = 1 << 16;

    error RangeTooLarge(uint64 start, uint64 end);

    /// The first 31 bytes of keccak256(chainid ‖ timestamp ‖ blockhash(number - 1)), then 0.
    function seedHere() internal view returns (bytes32) {
        bytes32 h = keccak256(abi.encodePacked(block.chainid, block.timestamp, blockhash(block.number - 1)));
        return h & ~bytes32(uint256(0xff));
    }

    /// Offsets (i - start) of the results, as packed big-endian uint16s (a range is at most
    /// 2^16): 2 bytes per result instead of 32, since seed and start give the preimages back.
    function offsets(bytes32 seed, uint64 start, uint64 end, uint256 target) internal pure returns (bytes memory out) {
        if (end < start || end - start > MAX_SEARCH) revert RangeTooLarge(start, end);
        assembly {
            out := mload(0x40)
            let p := add(out, 0x20)
            for { let i := start } lt(i, end) { i := add(i, 1) } {
                mstore(0, add(seed, i))
                if lt(keccak256(0, 32), target) {
                    mstore(p, shl(240, sub(i, start)))
                    p := add(p, 2)
                }
            }
            mstore(out, sub(p, add(out, 0x20)))
            mstore(0x40, and(add(p, 63), not(31)))
        }
    }

    /// The 32-byte preimages for `start` (8 bytes) followed by packed offsets.
    function expandPacked(bytes32 seed, bytes memory found) internal pure returns (bytes memory out) {
        if (found.length < 8) return "";
        uint64 start;
        assembly {
            start := shr(192, mload(add(found, 32)))
        }
        return expandAt(seed, start, found, 8);
    }

    /// The 32-byte preimages for packed offsets.
    function expand(bytes32 seed, uint64 start, bytes memory packed) internal pure returns (bytes memory) {
        return expandAt(seed, start, packed, 0);
    }

    /// seed + start + offset for each 2-byte offset in `packed` from byte `skip` on.
    function expandAt(bytes32 seed, uint64 start, bytes memory packed, uint256 skip)
        private
        pure
        returns (bytes memory out)
    {
        assembly {
            let n := div(sub(mload(packed), skip), 2)
            let src := add(add(packed, 32), skip)
            out := mload(0x40)
            mstore(out, mul(n, 32))
            let dst := add(out, 32)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let offset := shr(240, mload(add(src, mul(k, 2))))
                mstore(add(dst, mul(k, 32)), add(seed, add(start, offset)))
            }
            mstore(0x40, add(dst, mul(n, 32)))
        }
    }
}

/// Mines on its chain when the coordinator asks, locally or through the messenger, and reports
/// back. Deployed at the same address on every chain.
contract Worker {
    IL2ToL2CrossDomainMessenger internal constant MESSENGER =
        IL2ToL2CrossDomainMessenger(0x4200000000000000000000000000000000000023);

    error NotCoordinator(address caller);

    /// The last run's seed, and its start followed by the packed offsets (`localResultLog`):
    /// two storage slots for the seed's default work. Both start nonzero (a seed no run has, a
    /// `found` too short to hold a start), so the first run pays what every later one does:
    /// writing a zero slot costs 20k gas, rewriting a nonzero one 2.9k.
    bytes32 internal lastSeed = bytes32(uint256(1));
    bytes internal lastFound = hex"00";

    event Mined(uint256 indexed runId, uint256 origin, bytes32 seed, uint256 results);

    /// The seed's entry point: the default work.
    function run(uint256 runId, address coordinator) external {
        runWork(runId, coordinator, PowSearch.DEFAULT_START, PowSearch.DEFAULT_END, PowSearch.DEFAULT_TARGET);
    }

    /// Work of any size: indices `start..end` below `target`, from this block's seed.
    function runWork(uint256 runId, address coordinator, uint64 start, uint64 end, uint256 target) public {
        mine(runId, coordinator, PowSearch.seedHere(), start, end, target);
    }

    /// This chain's part of a job: the job's seed, not this block's, so parts mined on different
    /// chains (and on browser cores) are pieces of one search.
    function runJob(uint256 runId, address coordinator, bytes32 seed, uint64 start, uint64 end, uint256 target)
        external
    {
        mine(runId, coordinator, seed, start, end, target);
    }

    function mine(uint256 runId, address coordinator, bytes32 seed, uint64 start, uint64 end, uint256 target)
        internal
    {
        uint256 origin;
        if (msg.sender == address(MESSENGER)) {
            (address sender, uint256 source) = MESSENGER.crossDomainMessageContext();
            if (sender != coordinator) revert NotCoordinator(sender);
            origin = source;
        } else if (msg.sender == coordinator) {
            origin = block.chainid;
        } else {
            revert NotCoordinator(msg.sender);
        }
        // `start` then the offsets: what both the log here and the report keep.
        bytes memory found = abi.encodePacked(start, PowSearch.offsets(seed, start, end, target));
        lastSeed = seed;
        lastFound = found;
        emit Mined(runId, origin, seed, (found.length - 8) / 2);
        bytes memory report = abi.encodeCall(InteropPoW.reportResults, (abi.encode(runId, seed, found)));
        if (origin == block.chainid) {
            (bool ok, bytes memory reason) = coordinator.call(report);
            if (!ok) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
        } else {
            MESSENGER.sendMessage(origin, coordinator, report);
        }
    }

    /// The seed's `compute()`: this block's default work, as concatenated 32-byte results.
    function compute() external view returns (bytes memory) {
        bytes32 seed = PowSearch.seedHere();
        return PowSearch.expand(
            seed,
            PowSearch.DEFAULT_START,
            PowSearch.offsets(seed, PowSearch.DEFAULT_START, PowSearch.DEFAULT_END, PowSearch.DEFAULT_TARGET)
        );
    }

    /// Any work, for checking the search against other implementations.
    function search(bytes32 seed, uint64 start, uint64 end, uint256 target) external pure returns (bytes memory) {
        return PowSearch.expand(seed, start, PowSearch.offsets(seed, start, end, target));
    }

    /// The last run's results on this chain, as concatenated 32-byte results.
    function localResultLog() external view returns (bytes memory) {
        return PowSearch.expandPacked(lastSeed, lastFound);
    }
}

/// Coordinates a run on chain A: asks the `Worker` on each chain (itself directly, the others
/// through the messenger) and collects their reports, tagged by run and chain.
contract InteropPoW {
    IL2ToL2CrossDomainMessenger internal constant MESSENGER =
        IL2ToL2CrossDomainMessenger(0x4200000000000000000000000000000000000023);

    /// One storage slot per run, which also holds its first chain: a local run needs no other.
    struct Run {
        address worker;
        uint16 chains;
        uint16 reported;
        uint64 firstChain;
    }

    /// Two storage slots per report for the seed's default work: results are kept as the seed,
    /// the start and 2-byte offsets, since seed + start + offset gives each preimage back.
    struct Report {
        bytes32 seed;
        /// `start` (8 bytes) then the packed offsets; empty until the chain reported.
        bytes found;
    }

    error NoChains();
    error NoWorker();
    error TooManyChains(uint256 count);
    /// Chain ids are kept in 64-bit lanes.
    error ChainIdTooLarge(uint256 chainId);
    /// A chain may appear once per run: it reports once, so a second entry could never complete.
    error DuplicateChain(uint256 chainId);
    error NotAuthorized(address caller, uint256 source);
    error AlreadyReported(uint256 runId, uint256 chainId);
    /// A report's `found` is its start (8 bytes) then whole 2-byte offsets.
    error MalformedReport(uint256 runId, uint256 chainId, uint256 length);
    error UnknownRun(uint256 runId);
    /// A job names one part (a start and an end) per chain.
    error PartsMismatch(uint256 chains, uint256 starts, uint256 ends);

    event RunStarted(
        uint256 indexed runId, address indexed requester, address worker, uint256[] chainIds, uint64 start, uint64 end, uint256 target
    );
    /// `found` is the start (8 bytes) then 2-byte offsets: result k is seed + start + offset k.
    event ResultsReported(uint256 indexed runId, uint256 indexed chainId, bytes32 seed, bytes found);
    /// A job's seed and each chain's part of it, in the order of `RunStarted`'s chains.
    event JobStarted(uint256 indexed runId, bytes32 seed, uint64[] starts, uint64[] ends);
    event AllResults(bytes results);

    /// Most chains one run may ask: bounds the duplicate check and the final report.
    uint256 internal constant MAX_CHAINS = 32;

    /// The next run's id. Starts at 1, never zero, so no run pays for a fresh slot here.
    uint256 internal nextRun = 1;
    mapping(uint256 => Run) public runs;
    /// The chains a run asked after its first, as uint64s packed four to a word.
    mapping(uint256 => mapping(uint256 => uint256)) internal chainWords;
    mapping(uint256 => mapping(uint256 => Report)) internal reports;

    /// The seed's entry point: the default work on every chain in `chainIds`.
    function run(address worker, uint256[] calldata chainIds) external returns (uint256) {
        return runWork(worker, chainIds, PowSearch.DEFAULT_START, PowSearch.DEFAULT_END, PowSearch.DEFAULT_TARGET);
    }

    /// Work of any size on every chain in `chainIds`, each from its own block's seed.
    function runWork(address worker, uint256[] calldata chainIds, uint64 start, uint64 end, uint256 target)
        public
        returns (uint256 runId)
    {
        if (end < start || end - start > PowSearch.MAX_RANGE) revert PowSearch.RangeTooLarge(start, end);
        runId = open(worker, chainIds);
        emit RunStarted(runId, msg.sender, worker, chainIds, start, end, target);
        bool local;
        for (uint256 k = 0; k < chainIds.length; k++) {
            if (chainIds[k] == block.chainid) {
                local = true;
            } else {
                MESSENGER.sendMessage(
                    chainIds[k], worker, abi.encodeCall(Worker.runWork, (runId, address(this), start, end, target))
                );
            }
        }
        // Last, so its report finds every chain marked as asked.
        if (local) Worker(worker).runWork(runId, address(this), start, end, target);
    }

    /// A job: one `seed` for every chain, and each chain its own part of the index range,
    /// `chainIds[k]` mining `starts[k]..ends[k]`. `RunStarted` gives the parts' span.
    function runJob(
        address worker,
        bytes32 seed,
        uint256[] calldata chainIds,
        uint64[] calldata starts,
        uint64[] calldata ends,
        uint256 target
    ) external returns (uint256 runId) {
        if (starts.length != chainIds.length || ends.length != chainIds.length) {
            revert PartsMismatch(chainIds.length, starts.length, ends.length);
        }
        uint64 low = type(uint64).max;
        uint64 high;
        for (uint256 k = 0; k < starts.length; k++) {
            if (ends[k] < starts[k] || ends[k] - starts[k] > PowSearch.MAX_RANGE) {
                revert PowSearch.RangeTooLarge(starts[k], ends[k]);
            }
            if (starts[k] < low) low = starts[k];
            if (ends[k] > high) high = ends[k];
        }
        runId = open(worker, chainIds);
        emit RunStarted(runId, msg.sender, worker, chainIds, low, high, target);
        emit JobStarted(runId, seed, starts, ends);
        uint256 local = type(uint256).max;
        for (uint256 k = 0; k < chainIds.length; k++) {
            if (chainIds[k] == block.chainid) {
                local = k;
            } else {
                MESSENGER.sendMessage(
                    chainIds[k],
                    worker,
                    abi.encodeCall(Worker.runJob, (runId, address(this), seed, starts[k], ends[k], target))
                );
            }
        }
        if (local != type(uint256).max) {
            Worker(worker).runJob(runId, address(this), seed, starts[local], ends[local], target);
        }
    }

    /// Checks the chains and the worker, and records a new run asking them.
    function open(address worker, uint256[] calldata chainIds) internal returns (uint256 runId) {
        if (worker == address(0)) revert NoWorker();
        if (chainIds.length == 0) revert NoChains();
        if (chainIds.length > MAX_CHAINS) revert TooManyChains(chainIds.length);
        // Before anything is truncated to 64 bits: two ids equal in their low bits are distinct.
        for (uint256 k = 0; k < chainIds.length; k++) {
            if (chainIds[k] > type(uint64).max) revert ChainIdTooLarge(chainIds[k]);
        }
        for (uint256 k = 1; k < chainIds.length; k++) {
            for (uint256 j = 0; j < k; j++) {
                if (chainIds[j] == chainIds[k]) revert DuplicateChain(chainIds[k]);
            }
        }
        runId = nextRun++;
        runs[runId] = Run(worker, uint16(chainIds.length), 0, uint64(chainIds[0]));
        uint256 word;
        for (uint256 k = 1; k < chainIds.length; k++) {
            uint256 j = k - 1;
            word |= uint256(uint64(chainIds[k])) << (64 * (j % 4));
            if (j % 4 == 3 || k == chainIds.length - 1) {
                chainWords[runId][j / 4] = word;
                word = 0;
            }
        }
    }

    /// Only the run's worker may report: locally, or through the messenger from a chain the run
    /// asked, once per chain.
    function reportResults(bytes calldata _results) external {
        (uint256 runId, bytes32 seed, bytes memory found) = abi.decode(_results, (uint256, bytes32, bytes));
        Run storage r = runs[runId];
        if (r.worker == address(0)) revert UnknownRun(runId);
        uint256 source;
        if (msg.sender == address(MESSENGER)) {
            address sender;
            (sender, source) = MESSENGER.crossDomainMessageContext();
            if (sender != r.worker) revert NotAuthorized(sender, source);
        } else if (msg.sender == r.worker) {
            source = block.chainid;
        } else {
            revert NotAuthorized(msg.sender, block.chainid);
        }
        if (!asked(runId, source)) revert NotAuthorized(msg.sender, source);
        // Every accepted `found` holds at least its start, so a stored one that is non-empty
        // means "reported": the slot written anyway doubles as the flag, at no extra gas.
        if (found.length < 8 || found.length % 2 != 0) revert MalformedReport(runId, source, found.length);
        Report storage report = reports[runId][source];
        if (report.found.length != 0) revert AlreadyReported(runId, source);
        report.seed = seed;
        report.found = found;
        emit ResultsReported(runId, source, seed, found);
        if (++r.reported == r.chains) emit AllResults(allResults(runId));
    }

    /// One chain's results of a run, as concatenated 32-byte results.
    function results(uint256 runId, uint256 chainId) public view returns (bytes memory) {
        Report storage rep = reports[runId][chainId];
        return PowSearch.expandPacked(rep.seed, rep.found);
    }

    /// Every result a run has so far, chain by chain in the order asked. Copied once into an
    /// output of the right size: concatenating in a loop would cost quadratic memory.
    function allResults(uint256 runId) public view returns (bytes memory out) {
        uint256[] memory chains = chainsOf(runId);
        bytes[] memory parts = new bytes[](chains.length);
        uint256 total;
        for (uint256 k = 0; k < chains.length; k++) {
            parts[k] = results(runId, chains[k]);
            total += parts[k].length;
        }
        out = new bytes(total);
        uint256 at;
        for (uint256 k = 0; k < parts.length; k++) {
            bytes memory part = parts[k];
            assembly {
                mcopy(add(add(out, 32), at), add(part, 32), mload(part))
            }
            at += part.length;
        }
    }

    /// Whether run `runId` asked chain `chainId`.
    function asked(uint256 runId, uint256 chainId) public view returns (bool) {
        uint256 n = runs[runId].chains;
        for (uint256 k = 0; k < n; k++) {
            if (chainAt(runId, k) == chainId) return true;
        }
        return false;
    }

    /// The id of the latest run (0 before the first).
    function lastRun() public view returns (uint256) {
        return nextRun - 1;
    }

    /// The seed's `allResults()`: the latest run's.
    function allResults() external view returns (bytes memory) {
        return allResults(lastRun());
    }

    function chainsOf(uint256 runId) public view returns (uint256[] memory chains) {
        chains = new uint256[](runs[runId].chains);
        for (uint256 k = 0; k < chains.length; k++) {
            chains[k] = chainAt(runId, k);
        }
    }

    /// The `k`-th chain run `runId` asked.
    function chainAt(uint256 runId, uint256 k) internal view returns (uint256) {
        if (k == 0) return runs[runId].firstChain;
        return uint64(chainWords[runId][(k - 1) / 4] >> (64 * ((k - 1) % 4)));
    }
}
