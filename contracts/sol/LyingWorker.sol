// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IL2ToL2CrossDomainMessenger} from "./Interop.sol";
import {InteropPoW, PowSearch} from "./Pow.sol";

/// Test-only, never deployed by the devnet: a worker that lies. `InteropPoW.run` accepts any
/// worker address, so tests place this one (at one address on every chain) to check that the
/// app catches its reports. It answers like `Worker`, through the messenger and with the real
/// seed, but its first result is swapped for the first index that is not one: one result left
/// out, one made up.
contract LyingWorker {
    IL2ToL2CrossDomainMessenger internal constant MESSENGER =
        IL2ToL2CrossDomainMessenger(0x4200000000000000000000000000000000000023);

    function run(uint256 runId, address coordinator) external {
        runWork(runId, coordinator, PowSearch.DEFAULT_START, PowSearch.DEFAULT_END, PowSearch.DEFAULT_TARGET);
    }

    function runWork(uint256 runId, address coordinator, uint64 start, uint64 end, uint256 target) public {
        uint256 origin = block.chainid;
        if (msg.sender == address(MESSENGER)) (, origin) = MESSENGER.crossDomainMessageContext();
        bytes32 seed = PowSearch.seedHere();
        bytes memory offsets = PowSearch.offsets(seed, start, end, target);
        uint64 fake = start;
        while (fake < end && uint256(keccak256(abi.encode(bytes32(uint256(seed) + fake)))) < target) fake++;
        bytes memory lie = abi.encodePacked(uint16(fake - start));
        if (offsets.length >= 2) {
            offsets[0] = lie[0];
            offsets[1] = lie[1];
        } else {
            offsets = lie;
        }
        bytes memory report =
            abi.encodeCall(InteropPoW.reportResults, (abi.encode(runId, seed, abi.encodePacked(start, offsets))));
        if (origin == block.chainid) {
            (bool ok,) = coordinator.call(report);
            require(ok, "report refused");
        } else {
            MESSENGER.sendMessage(origin, coordinator, report);
        }
    }
}
