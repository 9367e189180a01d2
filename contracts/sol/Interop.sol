// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Where a log was emitted: the OP interop identifier of a message.
struct Identifier {
    address origin;
    uint256 blockNumber;
    uint256 logIndex;
    uint256 timestamp;
    uint256 chainId;
}

/// The OP L2-to-L2 messenger interface (what every upstream version shares, plus the context
/// getters and errors of `interfaces.sol`).
interface IL2ToL2CrossDomainMessenger {
    error NotEntered();
    error IdOriginNotL2ToL2CrossDomainMessenger();
    error EventPayloadNotSentMessage();
    error MessageDestinationSameChain();
    error MessageDestinationNotRelayChain();
    error MessageTargetCrossL2Inbox();
    error MessageTargetL2ToL2CrossDomainMessenger();
    error MessageAlreadyRelayed();
    error ReentrantCall();
    error TargetCallFailed();

    event SentMessage(
        uint256 indexed destination, address indexed target, uint256 indexed messageNonce, address sender, bytes message
    );
    event RelayedMessage(uint256 indexed source, uint256 indexed messageNonce, bytes32 indexed messageHash);

    function sendMessage(uint256 _destination, address _target, bytes calldata _message) external returns (bytes32);
    function relayMessage(Identifier calldata _id, bytes calldata _sentMessage)
        external
        payable
        returns (bytes memory returnData_);
    function successfulMessages(bytes32) external view returns (bool);
    function messageNonce() external view returns (uint256);
    function crossDomainMessageSender() external view returns (address);
    function crossDomainMessageSource() external view returns (uint256);
    function crossDomainMessageContext() external view returns (address sender_, uint256 source_);
}

/// The devnet's `CrossL2Inbox` (predeploy `0x4200…0022`). No OP node exists here, so the
/// supervisor (the devnet) attests each source log it has seen on its chain; only attested
/// messages validate, which makes forged relays revert.
contract CrossL2Inbox {
    error NotSupervisor();
    error NotAttested();

    event ExecutingMessage(bytes32 indexed msgHash, Identifier id);
    event Attested(bytes32 indexed msgHash, Identifier id);

    /// Slot 0: set by the devnet with `anvil_setStorageAt` when it installs the predeploy.
    address public supervisor;
    mapping(bytes32 => bool) public attested;

    function attest(Identifier calldata _id, bytes32 _msgHash) external {
        if (msg.sender != supervisor) revert NotSupervisor();
        attested[keccak256(abi.encode(_id, _msgHash))] = true;
        emit Attested(_msgHash, _id);
    }

    function validateMessage(Identifier calldata _id, bytes32 _msgHash) external {
        if (!attested[keccak256(abi.encode(_id, _msgHash))]) revert NotAttested();
        emit ExecutingMessage(_msgHash, _id);
    }
}

/// The devnet's `L2ToL2CrossDomainMessenger` (predeploy `0x4200…0023`), following optimism's
/// contracts-bedrock: the relayed payload is the `SentMessage` log's topics then its data, the
/// inbox must validate it, and each message relays once.
contract L2ToL2CrossDomainMessenger is IL2ToL2CrossDomainMessenger {
    address internal constant CROSS_L2_INBOX = 0x4200000000000000000000000000000000000022;

    mapping(bytes32 => bool) public successfulMessages;
    uint256 internal msgNonce;

    address internal transient xSender;
    uint256 internal transient xSource;
    bool internal transient entered;

    function messageNonce() external view returns (uint256) {
        return msgNonce;
    }

    function crossDomainMessageSender() external view returns (address) {
        if (!entered) revert NotEntered();
        return xSender;
    }

    function crossDomainMessageSource() external view returns (uint256) {
        if (!entered) revert NotEntered();
        return xSource;
    }

    function crossDomainMessageContext() external view returns (address sender_, uint256 source_) {
        if (!entered) revert NotEntered();
        return (xSender, xSource);
    }

    function sendMessage(uint256 _destination, address _target, bytes calldata _message) external returns (bytes32) {
        if (_destination == block.chainid) revert MessageDestinationSameChain();
        if (_target == CROSS_L2_INBOX) revert MessageTargetCrossL2Inbox();
        if (_target == address(this)) revert MessageTargetL2ToL2CrossDomainMessenger();
        uint256 nonce = msgNonce++;
        emit SentMessage(_destination, _target, nonce, msg.sender, _message);
        return keccak256(abi.encode(_destination, block.chainid, nonce, msg.sender, _target, _message));
    }

    function relayMessage(Identifier calldata _id, bytes calldata _sentMessage)
        external
        payable
        returns (bytes memory returnData_)
    {
        if (_id.origin != address(this)) revert IdOriginNotL2ToL2CrossDomainMessenger();
        CrossL2Inbox(CROSS_L2_INBOX).validateMessage(_id, keccak256(_sentMessage));
        if (_sentMessage.length < 128 || bytes32(_sentMessage[:32]) != SentMessage.selector) {
            revert EventPayloadNotSentMessage();
        }
        uint256 destination = uint256(bytes32(_sentMessage[32:64]));
        address target = address(uint160(uint256(bytes32(_sentMessage[64:96]))));
        uint256 nonce = uint256(bytes32(_sentMessage[96:128]));
        (address sender, bytes memory message) = abi.decode(_sentMessage[128:], (address, bytes));
        if (destination != block.chainid) revert MessageDestinationNotRelayChain();
        uint256 source = _id.chainId;
        bytes32 messageHash = keccak256(abi.encode(destination, source, nonce, sender, target, message));
        if (successfulMessages[messageHash]) revert MessageAlreadyRelayed();
        if (entered) revert ReentrantCall();
        entered = true;
        xSender = sender;
        xSource = source;
        bool success;
        (success, returnData_) = target.call{value: msg.value}(message);
        entered = false;
        xSender = address(0);
        xSource = 0;
        if (!success) {
            // Bubble the target's revert, so the relayer sees why; the message stays relayable.
            assembly {
                revert(add(returnData_, 32), mload(returnData_))
            }
        }
        successfulMessages[messageHash] = true;
        emit RelayedMessage(source, nonce, messageHash);
    }
}
