// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Placeholder until InteropPoW lands: proves the compile → artifact → binding → deploy
/// path on every devnet chain.
contract Hello {
    event Greeted(address indexed from, uint256 chainId, string message);

    uint256 public greetings;

    function greet(string calldata message) external returns (uint256) {
        greetings += 1;
        emit Greeted(msg.sender, block.chainid, message);
        return greetings;
    }
}
